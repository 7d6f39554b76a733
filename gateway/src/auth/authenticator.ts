import { Inject, Injectable } from '@nestjs/common';
import { ApiKeyService } from './api-keys/api-key-service';
import { AUTH_CONFIG, type AuthConfig } from './auth-config';
import { unauthenticated } from './auth-errors';
import type { Caller } from './caller';
import {
  CREDENTIAL_CHECK_OBSERVER,
  type CredentialCheckObserver,
} from './credential-check-observer';
import { CREDENTIAL_HINT, type PresentedCredential } from './credentials';
import { JwtVerifier } from './jwt/jwt-verifier';

/** A presented credential (API key or JWT) to the caller it stands for, or 401 saying why not. */
@Injectable()
export class Authenticator {
  private readonly jwt?: JwtVerifier;

  constructor(
    private readonly apiKeys: ApiKeyService,
    @Inject(AUTH_CONFIG) config: AuthConfig,
    @Inject(CREDENTIAL_CHECK_OBSERVER) private readonly observer: CredentialCheckObserver,
  ) {
    this.jwt = config.jwt && new JwtVerifier(config.jwt, observer);
  }

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
          'JWT bearer tokens are not accepted here: the gateway has no JWT key configured',
        ),
      );
    }
    return this.jwt.verify(credential.value);
  }
}
