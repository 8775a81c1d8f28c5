import { hkdfSync } from 'node:crypto';

/**
 * A 256-bit key for one purpose, derived from JWT_SECRET with HKDF-SHA256: each use (refresh
 * successors, reset tokens, email codes, queued job data) has its own key, and none is the
 * signing secret itself. Changing `purpose` changes the key: keep the strings as they are.
 */
export function derivedKey(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, '', purpose, 32));
}
