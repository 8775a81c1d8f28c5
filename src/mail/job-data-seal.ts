import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { derivedKey } from '../common/crypto/derived-key.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A job's data as it is stored: AES-256-GCM over its JSON, bound to its queue. */
export interface SealedJobData {
  sealed: string;
}

/**
 * Job data is stored sealed: a queued mail holds a reset link or a code, and a row of
 * pgboss.job (or of its archive, or of a backup) must not be a usable secret. The key is
 * derived from JWT_SECRET, which every instance shares; the queue name is authenticated with
 * the data, so sealed data moved to another queue does not open.
 */
export class JobDataSeal {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = derivedKey(secret, 'insightsheet job data v1');
  }

  seal(queue: string, data: unknown): SealedJobData {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(queue, 'utf8'));
    const body = Buffer.concat([cipher.update(JSON.stringify(data), 'utf8'), cipher.final()]);
    return { sealed: Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url') };
  }

  /** Throws when the data was sealed for another queue, under another key, or altered. */
  open<T>(queue: string, data: SealedJobData): T {
    const raw = Buffer.from(data.sealed, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(queue, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    const body = Buffer.concat([
      decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)),
      decipher.final(),
    ]);
    return JSON.parse(body.toString('utf8')) as T;
  }
}
