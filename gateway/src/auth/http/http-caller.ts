import type { FastifyRequest } from 'fastify';
import { unauthenticated } from '../auth-errors';
import type { Caller } from '@auth';

/** The caller the auth hook authenticated; a route that needs one but has none is refused. */
export function httpCaller(request: FastifyRequest): Caller {
  if (!request.caller) throw unauthenticated('authentication required');
  return request.caller;
}
