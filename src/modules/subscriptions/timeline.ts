import type { TimelineEntryDto } from './dto/subscription.dto.js';
import { PLANS } from './plan-catalogue.js';
import type { SubscriptionChange } from './subscriptions.repository.js';

const STATUS_WORDS: Record<string, string> = {
  active: 'active',
  trialing: 'in trial',
  past_due: 'past due (payment failed)',
  incomplete: 'awaiting payment',
  incomplete_expired: 'expired before payment',
  unpaid: 'unpaid',
  canceled: 'canceled',
  paused: 'paused',
};

/** One change as the customer reads it in their billing timeline. */
export function timelineEntryOf(change: SubscriptionChange): TimelineEntryDto {
  return {
    occurredAt: change.occurredAt,
    cause: change.cause === 'manual' ? 'admin_grant' : 'stripe',
    stripeEventType: change.stripeEventType,
    from: { plan: change.fromPlan, status: change.fromStatus },
    to: { plan: change.toPlan, status: change.toStatus },
    summary: sentenceFor(change),
  };
}

function sentenceFor(change: SubscriptionChange): string {
  const name = (plan: string) => PLANS[plan as keyof typeof PLANS]?.name ?? plan;
  const parts: string[] = [];
  const detail = change.detail;
  if (change.cause === 'manual') {
    const grant = detail.manualGrant as { plan: string | null; until: string | null } | undefined;
    if (grant?.plan)
      parts.push(
        `${name(grant.plan)} granted by an administrator${grant.until ? ` until ${grant.until.slice(0, 10)}` : ''}`,
      );
    else parts.push("An administrator's grant ended");
    return parts.join('; ');
  }
  if (change.fromPlan !== change.toPlan)
    parts.push(`Plan changed from ${name(change.fromPlan)} to ${name(change.toPlan)}`);
  if (change.fromStatus !== change.toStatus)
    parts.push(`Subscription ${STATUS_WORDS[change.toStatus] ?? change.toStatus}`);
  const seats = detail.seats as { from: number | null; to: number | null } | undefined;
  if (seats && seats.to !== null) parts.push(`Seats: ${seats.from ?? 0} to ${seats.to}`);
  if (detail.cancelAtPeriodEnd === true) parts.push('Set to cancel at the end of the period');
  if (detail.cancelAtPeriodEnd === false) parts.push('Cancellation withdrawn');
  if (parts.length === 0 && typeof detail.currentPeriodEnd === 'string')
    parts.push(`Renewed until ${detail.currentPeriodEnd.slice(0, 10)}`);
  return parts.join('; ') || 'Subscription updated';
}
