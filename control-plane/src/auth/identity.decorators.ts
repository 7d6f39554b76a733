import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { Caller } from '@auth';
import type { FastifyRequest } from 'fastify';
import { ControlPlaneFailure } from '../errors/control-plane-error';
import type { RequestIdentity } from './request-identity';

/**
 * The identity already established for the request (GraphQL: by the onRequest hook; REST: by
 * @RequireRole's guard, which must run first). Fails closed when there is none.
 */
function identityIn(context: ExecutionContext): RequestIdentity {
  const identity =
    context.getType<string>() === 'graphql'
      ? GqlExecutionContext.create(context).getContext<Partial<RequestIdentity>>()
      : context.switchToHttp().getRequest<FastifyRequest>().controlPlaneIdentity;
  if (!identity?.caller || !identity.requestId) {
    throw new ControlPlaneFailure('UNAUTHENTICATED', 'authentication required');
  }
  return { caller: identity.caller, requestId: identity.requestId };
}

/** The authenticated Caller (tenant, subject, scopes). */
export const CurrentCaller = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Caller => identityIn(context).caller,
);

/** The request's id: its `x-request-id`, or one made for it. */
export const RequestId = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string => identityIn(context).requestId,
);

/** `{subject, tenant, requestId}`: who asked for a change, as the audit records it. */
export const CurrentActor = createParamDecorator(
  (
    _data: unknown,
    context: ExecutionContext,
  ): { subject: string; tenant: string; requestId: string } => {
    const { caller, requestId } = identityIn(context);
    return { subject: caller.subject, tenant: caller.tenant, requestId };
  },
);
