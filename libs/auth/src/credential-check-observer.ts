/** Which kind of credential a check was about ('none': nothing was presented). */
export type CredentialKind = 'api_key' | 'jwt' | 'none';

/**
 * Why a credential was not accepted: a fixed vocabulary, so metric labels stay bounded (never a key
 * id, a subject or an address).
 */
export type AuthFailureReason =
  // 401
  | 'missing'
  | 'malformed'
  | 'unknown_key'
  | 'wrong_secret'
  | 'wrong_secret_repeated'
  | 'revoked'
  | 'not_configured'
  | 'too_long'
  | 'expired'
  | 'claims'
  | 'signature'
  | 'no_matching_key'
  | 'algorithm'
  | 'invalid'
  // 429: failure limits
  | 'key_failure_limit'
  | 'peer_failure_limit'
  // 503: the gateway cannot check now
  | 'checks_busy'
  | 'store_unavailable'
  | 'jwks_unavailable';

/** What credential checks tell operators (gateway metrics in production, nothing in unit tests). */
export interface CredentialCheckObserver {
  refused(credential: CredentialKind, reason: AuthFailureReason): void;
  /** One scrypt verification ran (the costly step), and whether the secret matched. */
  hashChecked(matched: boolean): void;
  /** scrypt verifications running and waiting for a slot, after every change. */
  hashSlots(running: number, waiting: number): void;
}

export const UNOBSERVED_CHECKS: CredentialCheckObserver = {
  refused: () => undefined,
  hashChecked: () => undefined,
  hashSlots: () => undefined,
};

export const CREDENTIAL_CHECK_OBSERVER = Symbol('CREDENTIAL_CHECK_OBSERVER');
