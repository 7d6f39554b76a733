import { Inject, Injectable } from '@nestjs/common';
import {
  ApiKeyVerification,
  CredentialAuthenticator,
  CredentialRefusal,
  DEFAULT_API_KEY_CHECKS,
  JwtVerifier,
  presentedCredential,
  rawHeaderValues,
  UNOBSERVED_CHECKS,
  type Caller,
} from '@auth';
import type { FastifyRequest } from 'fastify';
import { type ControlPlaneConfig } from '../config/control-plane-config';
import { CONTROL_PLANE_CONFIG } from '../config/control-plane-config.module';
import {
  CONTROL_PLANE_API_KEY_STORE,
  type ControlPlaneApiKeyStore,
} from './api-key-store.provider';
import { credentialFailure } from './credential-failure';
import { requestIdOf, type RequestIdentity } from './request-identity';

/**
 * Who is calling: the API key (`x-api-key` or `authorization: Bearer`) or JWT a request presents,
 * checked as the gateway checks them (libs/auth: verification cache, negative caches, failure limits
 * per key id and per address, bounded scrypt), against the control plane's own key table.
 */
@Injectable()
export class ControlPlaneAuthenticator {
  readonly verification: ApiKeyVerification;
  private readonly credentials: CredentialAuthenticator;

  constructor(
    @Inject(CONTROL_PLANE_API_KEY_STORE) store: ControlPlaneApiKeyStore,
    @Inject(CONTROL_PLANE_CONFIG) config: ControlPlaneConfig,
  ) {
    this.verification = new ApiKeyVerification(
      store,
      config.auth.apiKeyCacheTtlMs,
      DEFAULT_API_KEY_CHECKS,
      UNOBSERVED_CHECKS,
    );
    const jwt = config.auth.jwt && new JwtVerifier(config.auth.jwt);
    this.credentials = new CredentialAuthenticator(
      this.verification,
      jwt,
      UNOBSERVED_CHECKS,
      'control plane',
    );
  }

  /** The request's identity, once per request; a ControlPlaneFailure (UNAUTHENTICATED, ...) if none. */
  async identify(request: FastifyRequest): Promise<RequestIdentity> {
    if (request.controlPlaneIdentity) return request.controlPlaneIdentity;
    const caller = await this.authenticate(request);
    request.controlPlaneIdentity = { caller, requestId: requestIdOf(request) };
    return request.controlPlaneIdentity;
  }

  private async authenticate(request: FastifyRequest): Promise<Caller> {
    try {
      // Raw headers: Node keeps one `authorization` and joins repeated `x-api-key`s, which would
      // hide a second credential that must be refused.
      const credential = presentedCredential(
        rawHeaderValues(request.raw.rawHeaders, 'x-api-key'),
        rawHeaderValues(request.raw.rawHeaders, 'authorization'),
      );
      return await this.credentials.authenticate(credential, request.ip);
    } catch (error) {
      throw error instanceof CredentialRefusal ? credentialFailure(error) : error;
    }
  }
}
