/**
 * Whether an assertion's signature counter may follow the one stored for its passkey. An
 * authenticator that keeps no counter always sends 0 (many synced passkeys do), and that is
 * accepted as long as 0 is all it ever sent; otherwise the counter must move forward, or the
 * assertion may come from a copy of the credential.
 */
export function counterAdvances(stored: number, received: number): boolean {
  if (stored === 0 && received === 0) return true;
  return received > stored;
}
