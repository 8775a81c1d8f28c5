import { derivedKey } from '../common/crypto/derived-key.js';
import { SecretBox } from '../common/crypto/secret-box.js';

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
  private readonly box: SecretBox;

  constructor(secret: string) {
    this.box = new SecretBox(derivedKey(secret, 'insightsheet job data v1'));
  }

  seal(queue: string, data: unknown): SealedJobData {
    return { sealed: this.box.seal(JSON.stringify(data), queue).toString('base64url') };
  }

  /** Throws when the data was sealed for another queue, under another key, or altered. */
  open<T>(queue: string, data: SealedJobData): T {
    const body = this.box.open(Buffer.from(data.sealed, 'base64url'), queue);
    return JSON.parse(body.toString('utf8')) as T;
  }
}
