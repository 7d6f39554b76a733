import type { SecurityHeaders } from '@http-edge';
import { requestIdFrom } from '@logging';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { invalidArgument } from '../errors/gateway-error';
import { quoted } from '../errors/quoted-value';
import { errorBody } from './http-error.filter';

/**
 * Fastify's `frameworkErrors` option: what it refuses before routing and before any hook (a path
 * that is not valid percent-encoding, a path parameter over `maxParamLength`), answered in the
 * gateway's error shape and with the security headers, like every other error.
 */
export function frameworkErrorHandler(securityHeaders: SecurityHeaders) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    const url = request.raw.url ?? '';
    const shown = quoted(url, 80);
    const refusal = invalidArgument(
      error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? `a path segment of ${shown} is too long (model names and versions: at most ${MAX_PARAM_LENGTH} characters)`
        : `the path ${shown} is not valid percent-encoding`,
    );
    void reply
      .headers(securityHeaders)
      // Refused by the router, before any hook: the request id answers here too (no log line).
      .header('x-request-id', requestIdFrom(request.headers['x-request-id']))
      .status(refusal.httpStatus)
      .type('application/json; charset=utf-8')
      .send(JSON.stringify(errorBody(url, refusal)));
  };
}

/** Longest path parameter (model name, version) the router accepts: Fastify's default. */
export const MAX_PARAM_LENGTH = 100;
