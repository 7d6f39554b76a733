import type { CredentialRefusal } from '@auth';
import { ControlPlaneFailure, type ErrorCode } from '../errors/control-plane-error';

const CODES = {
  unauthenticated: 'UNAUTHENTICATED',
  permission_denied: 'FORBIDDEN',
  resource_exhausted: 'TOO_MANY_REQUESTS',
  unavailable: 'SERVICE_UNAVAILABLE',
} as const satisfies Record<CredentialRefusal['kind'], ErrorCode>;

/** A refused credential check (libs/auth) in the control plane's error vocabulary. */
export function credentialFailure(refusal: CredentialRefusal): ControlPlaneFailure {
  return new ControlPlaneFailure(
    CODES[refusal.kind],
    refusal.message,
    refusal.retryAfterMs === undefined ? {} : { retryAfterMs: refusal.retryAfterMs },
  );
}
