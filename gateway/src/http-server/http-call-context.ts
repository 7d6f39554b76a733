import type { FastifyRequest } from 'fastify';
import { httpCaller } from '../auth/http/http-caller';
import { headerValues } from '@auth';
import type { CallContext } from '../request-path/call-context';
import { parsePriority } from '../inference/priority';

/** The call context of an HTTP request: the authenticated caller, `x-priority`, images carried. */
export function httpCallContext(request: FastifyRequest, images: number): CallContext {
  return {
    caller: httpCaller(request),
    priority: parsePriority(headerValues(request.headers['x-priority']), 'header'),
    images,
    ...(request.callRecord ? { trace: request.callRecord } : {}),
    header: (name) => headerValues(request.headers[name])[0],
  };
}
