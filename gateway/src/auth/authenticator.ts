import { Inject, Injectable } from '@nestjs/common';
import {
  CREDENTIAL_CHECK_OBSERVER,
  CredentialAuthenticator,
  JwtVerifier,
  type CredentialCheckObserver,
} from '@auth';
import { ApiKeyService } from './api-keys/api-key-service';
import { AUTH_CONFIG, type AuthConfig } from './auth-config';

/**
 * A presented credential (API key or JWT) to the caller it stands for, or a refusal saying why not
 * (libs/auth's CredentialRefusal, which the gateway's error mapping turns into 401/429/503).
 */
@Injectable()
export class Authenticator extends CredentialAuthenticator {
  constructor(
    apiKeys: ApiKeyService,
    @Inject(AUTH_CONFIG) config: AuthConfig,
    @Inject(CREDENTIAL_CHECK_OBSERVER) observer: CredentialCheckObserver,
  ) {
    super(apiKeys, config.jwt && new JwtVerifier(config.jwt, observer), observer, 'gateway');
  }
}
