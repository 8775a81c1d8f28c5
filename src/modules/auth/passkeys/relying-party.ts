/**
 * The user handle of an account's passkeys: the 16 bytes of its id. Opaque to the
 * authenticator (no email or name), the same for all of the account's credentials, and sent
 * back in each assertion of a discoverable credential.
 */
export function userHandleOf(userId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(userId.replace(/-/g, ''), 'hex'));
}

export function userHandleText(userId: string): string {
  return Buffer.from(userHandleOf(userId)).toString('base64url');
}
