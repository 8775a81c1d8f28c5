import { Injectable } from '@nestjs/common';
import { createHmac, randomBytes } from 'node:crypto';
import { derivedKey } from '../../common/crypto/derived-key.js';
import { AppConfig } from '../../config/app-config.js';

/**
 * Invitation tokens: 256 random bits, mailed; stored only as an HMAC keyed from JWT_SECRET,
 * so a leaked table gives no token away.
 */
@Injectable()
export class InvitationTokens {
  private readonly key: Buffer;

  constructor(config: AppConfig) {
    this.key = derivedKey(config.jwt.secret, 'insightsheet workspace invitations');
  }

  issue(): { token: string; tokenHash: Buffer } {
    const token = randomBytes(32).toString('base64url');
    return { token, tokenHash: this.hash(token) };
  }

  hash(token: string): Buffer {
    return createHmac('sha256', this.key).update(token, 'utf8').digest();
  }
}
