import type { Caller } from '@auth';
import { requestIdFrom } from '@logging';
import type { FastifyRequest } from 'fastify';

/** Who made a request and under which id: what resolvers, guards and the audit read. */
export interface RequestIdentity {
  caller: Caller;
  /** `x-request-id` as the caller (or a proxy) sent it, or one made here. */
  requestId: string;
}

/** The GraphQL context (mercurius `context`): the identity of the request being executed. */
export type GraphqlContext = RequestIdentity;

declare module 'fastify' {
  interface FastifyRequest {
    /** Set once the request is authenticated (GraphQL hook, or the role guard on REST routes). */
    controlPlaneIdentity?: RequestIdentity;
  }
}

/** The caller's `x-request-id` when it is a sane token, else a fresh UUID (the gateway's rule). */
export function requestIdOf(request: FastifyRequest): string {
  return requestIdFrom(request.headers['x-request-id']);
}
