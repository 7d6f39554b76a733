/**
 * Why a credential check refused: `unauthenticated` (no, or no valid, credential),
 * `permission_denied` (known caller, not allowed), `resource_exhausted` (a failure limit: retry
 * later), `unavailable` (the check cannot run now: store or JWKS unreachable, checks saturated).
 * Each app maps the kind to its own wire form (gateway: 401/403/429/503 and gRPC codes; control
 * plane: UNAUTHENTICATED/FORBIDDEN/...), so this library knows neither.
 */
export type RefusalKind =
  'unauthenticated' | 'permission_denied' | 'resource_exhausted' | 'unavailable';

/** A refused credential check. Messages say what is wrong with a credential, never repeat it. */
export class CredentialRefusal extends Error {
  override readonly name = 'CredentialRefusal';

  constructor(
    readonly kind: RefusalKind,
    message: string,
    /** When a retry may succeed (429 / 503); absent for refusals a retry cannot change. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export function unauthenticated(message: string): CredentialRefusal {
  return new CredentialRefusal('unauthenticated', message);
}
