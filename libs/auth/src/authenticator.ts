import type { Caller } from './caller';
import type { CredentialCheckObserver } from './credential-check-observer';
import { unauthenticated } from './credential-refusal';
import { CREDENTIAL_HINT, type PresentedCredential } from './credentials';
import type { JwtVerifier } from './jwt/jwt-verifier';

/** What checks an API key: ApiKeyVerification, or a service in front of it. */
export interface ApiKeyVerifier {
  verify(presented: string, peer?: string): Promise<Caller>;
}

/**
 * A presented credential (API key or JWT) to the caller it stands for, or a CredentialRefusal
 * saying why not. `appName` finishes the message for tokens where no JWT key is configured.
 */
export class CredentialAuthenticator {
  constructor(
    private readonly apiKeys: ApiKeyVerifier,
    private readonly jwt: JwtVerifier | undefined,
    private readonly observer: CredentialCheckObserver,
    private readonly appName: string,
  ) {}

  /**
   * `peer`: the caller's address as its transport reports it (Fastify's `request.ip`, grpc-js's
   * `call.getPeer()`), for the per-address failure limit on API key secrets.
   */
  authenticate(credential: PresentedCredential | undefined, peer?: string): Promise<Caller> {
    if (!credential) {
      this.observer.refused('none', 'missing');
      return Promise.reject(unauthenticated(`authentication required: ${CREDENTIAL_HINT}`));
    }
    if (credential.kind === 'api-key') return this.apiKeys.verify(credential.value, peer);
    if (!this.jwt) {
      this.observer.refused('jwt', 'not_configured');
      return Promise.reject(
        unauthenticated(
          `JWT bearer tokens are not accepted here: the ${this.appName} has no JWT key configured`,
        ),
      );
    }
    return this.jwt.verify(credential.value);
  }
}
