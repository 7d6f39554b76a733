import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { GqlExecutionContext } from '@nestjs/graphql';
import { hasRole, type Role } from '@auth';
import type { FastifyRequest } from 'fastify';
import { ControlPlaneFailure } from '../errors/control-plane-error';
import { ControlPlaneAuthenticator } from './control-plane-authenticator';
import type { RequestIdentity } from './request-identity';
import { REQUIRED_ROLE } from './required-role';

/**
 * @RequireRole's check. GraphQL: the request was authenticated before execution (the onRequest
 * hook), so the identity is on the context. REST: it authenticates here, once per request.
 */
@Injectable()
export class RoleGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: ControlPlaneAuthenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const role = this.reflector.getAllAndOverride<Role | undefined>(REQUIRED_ROLE, [
      context.getHandler(),
      context.getClass(),
    ]);
    const identity = await identityOf(context, this.authenticator);
    if (role === undefined || hasRole(identity.caller, role)) return true;
    const { caller } = identity;
    const held = caller.scopes.length > 0 ? caller.scopes.join(' ') : 'no scopes';
    throw new ControlPlaneFailure(
      'FORBIDDEN',
      `forbidden: this needs role '${role}'; ${caller.subject} of tenant '${caller.tenant}' has ${held}`,
      { requiredRole: role },
    );
  }
}

/** The identity of the request `context` runs for; UNAUTHENTICATED when it has none. */
export async function identityOf(
  context: ExecutionContext,
  authenticator: ControlPlaneAuthenticator,
): Promise<RequestIdentity> {
  if (context.getType<string>() === 'graphql') {
    const identity = GqlExecutionContext.create(context).getContext<Partial<RequestIdentity>>();
    if (identity.caller && identity.requestId) {
      return { caller: identity.caller, requestId: identity.requestId };
    }
    throw new ControlPlaneFailure('UNAUTHENTICATED', 'authentication required');
  }
  return authenticator.identify(context.switchToHttp().getRequest<FastifyRequest>());
}
