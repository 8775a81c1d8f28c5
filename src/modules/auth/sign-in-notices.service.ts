import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { DomainEvents, type DomainEvent } from '../../common/events/domain-events.js';
import { RateLimitStorage } from '../../common/rate-limit/rate-limit.storage.js';
import { Clock } from '../../common/time/clock.js';
import { UsersService } from '../users/users.service.js';
import { AuthMail } from './auth-mail.js';
import { deviceKind } from './device.js';
import { UserDevicesRepository } from './user-devices.repository.js';

/** A device not seen on the account for this long counts as new. */
export const NEW_DEVICE_AFTER_DAYS = 90;
/** Notices per account an hour: someone with the password cannot flood the mailbox. */
export const NOTICES_PER_HOUR = 3;
const HOUR_MS = 3_600_000;

/**
 * Mails the account when someone signs in from a kind of device (browser and system) it has
 * not signed in from for 90 days. Every sign-in method publishes DomainEvents.LoggedIn, so new
 * ones are covered without a change here; registration records its device without a notice.
 * At most 3 notices an hour per account.
 * An account with no device on record yet (one that existed before devices were recorded)
 * has its first one recorded silently, so a deployment does not mail every user.
 */
@Injectable()
export class SignInNotices {
  private readonly logger = new Logger(SignInNotices.name);

  constructor(
    private readonly devices: UserDevicesRepository,
    private readonly users: UsersService,
    private readonly mail: AuthMail,
    private readonly clock: Clock,
    private readonly limits: RateLimitStorage,
  ) {}

  @OnEvent(DomainEvents.Registered, { async: true, promisify: true })
  async onRegistered(event: DomainEvent<typeof DomainEvents.Registered>): Promise<void> {
    if (event.userId) await this.record(event.userId, deviceKind(event.userAgent));
  }

  @OnEvent(DomainEvents.LoggedIn, { async: true, promisify: true })
  async onSignedIn(event: DomainEvent<typeof DomainEvents.LoggedIn>): Promise<void> {
    if (!event.userId) return;
    const device = deviceKind(event.userAgent);
    const seen = await this.record(event.userId, device);
    if (!seen || !seen.knewAny) return;
    const staleBefore = this.clock.nowMs() - NEW_DEVICE_AFTER_DAYS * 86_400_000;
    if (seen.lastSeenAt && seen.lastSeenAt.getTime() >= staleBefore) return;
    const sent = await this.limits.increment(
      event.userId,
      HOUR_MS,
      NOTICES_PER_HOUR,
      HOUR_MS,
      'new-device-notice',
    );
    if (sent.isBlocked) return;
    const user = await this.users.findById(event.userId);
    if (!user) return;
    await this.mail
      .newDeviceSignIn(user.email, { device, ip: event.ip, at: event.occurredAt })
      .catch((error: Error) => this.logger.error({ err: error }, 'New-device notice not queued'));
  }

  /** Undefined when the account is gone meanwhile (its devices went with it). */
  private async record(userId: string, device: string) {
    try {
      return await this.devices.seen(userId, device, this.clock.now());
    } catch (error) {
      this.logger.warn({ err: error as Error }, 'Sign-in device not recorded');
      return undefined;
    }
  }
}
