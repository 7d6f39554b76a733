import { Inject, Injectable } from '@nestjs/common';
import { Metadata, status, type StatusObject } from '@grpc/grpc-js';
import {
  CredentialAuthenticator,
  CredentialRefusal,
  hasRole,
  JwtVerifier,
  presentedCredential,
  UNOBSERVED_CHECKS,
  type Caller,
  type RefusalKind,
  type Role,
} from '@auth';
import { ControlPlaneAuthenticator } from '../auth/control-plane-authenticator';
import { type ControlPlaneConfig } from '../config/control-plane-config';
import { CONTROL_PLANE_CONFIG } from '../config/control-plane-config.module';

const CODES: Record<RefusalKind, status> = {
  unauthenticated: status.UNAUTHENTICATED,
  permission_denied: status.PERMISSION_DENIED,
  resource_exhausted: status.RESOURCE_EXHAUSTED,
  unavailable: status.UNAVAILABLE,
};

/** A gRPC call refused before it is served, as the status it ends with. */
export class GrpcRefusal extends Error {
  constructor(
    readonly code: status,
    readonly details: string,
  ) {
    super(details);
  }

  get status(): Partial<StatusObject> {
    return { code: this.code, details: this.details };
  }
}

/**
 * Who is calling over gRPC, checked as the HTTP API checks it: the same API key verification (its
 * caches and failure limits are shared with HTTP callers), the same JWT settings, the same roles.
 */
@Injectable()
export class GrpcCallerAuthentication {
  private readonly credentials: CredentialAuthenticator;

  constructor(
    authenticator: ControlPlaneAuthenticator,
    @Inject(CONTROL_PLANE_CONFIG) config: ControlPlaneConfig,
  ) {
    const jwt = config.auth.jwt && new JwtVerifier(config.auth.jwt);
    this.credentials = new CredentialAuthenticator(
      authenticator.verification,
      jwt,
      UNOBSERVED_CHECKS,
      'control plane',
    );
  }

  /** The caller with `role` or above; a GrpcRefusal otherwise. */
  async authorize(metadata: Metadata, peer: string, role: Role): Promise<Caller> {
    let caller: Caller;
    try {
      const credential = presentedCredential(
        textValues(metadata, 'x-api-key'),
        textValues(metadata, 'authorization'),
      );
      caller = await this.credentials.authenticate(credential, peer);
    } catch (error) {
      if (error instanceof CredentialRefusal)
        throw new GrpcRefusal(CODES[error.kind], error.message);
      throw error;
    }
    if (!hasRole(caller, role)) {
      throw new GrpcRefusal(
        status.PERMISSION_DENIED,
        `this needs role '${role}'; ${caller.subject} of tenant '${caller.tenant}' has ${caller.scopes.join(' ') || 'no scopes'}`,
      );
    }
    return caller;
  }
}

function textValues(metadata: Metadata, key: string): string[] {
  return metadata.get(key).map((value) => (typeof value === 'string' ? value : value.toString()));
}
