import { randomUUID } from 'node:crypto';
import type { Caller } from '@auth';
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

/** What an `x-request-id` may be: printable, without spaces, bounded, so logs stay readable. */
const REQUEST_ID = /^[A-Za-z0-9._:/+=-]{1,128}$/;

/** The caller's `x-request-id` when it is a sane token, else a fresh UUID. */
export function requestIdOf(request: FastifyRequest): string {
  const value = request.headers['x-request-id'];
  return typeof value === 'string' && REQUEST_ID.test(value) ? value : randomUUID();
}
