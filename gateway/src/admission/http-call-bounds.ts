import type { FastifyReply, FastifyRequest } from 'fastify';
import { deadlineIn, type CallBounds } from './call-bounds';
import { parseRequestTimeout, REQUEST_TIMEOUT_HEADER } from './request-timeout';

/**
 * The deadline from `X-Request-Timeout` (refused with 400 when malformed) and a signal aborted when
 * the connection closes before the reply is sent. Fastify's response 'close' fires once per reply,
 * on completion or on a dropped connection, so nothing outlives the request on a kept-alive socket.
 */
export function httpCallBounds(request: FastifyRequest, reply: FastifyReply): CallBounds {
  const header = request.headers[REQUEST_TIMEOUT_HEADER];
  const value = Array.isArray(header) ? header.join(', ') : header;
  const deadline = value === undefined ? undefined : deadlineIn(parseRequestTimeout(value));
  const controller = new AbortController();
  const response = reply.raw;
  if (response.writableEnded || response.destroyed) controller.abort();
  else
    response.once('close', () => {
      if (!response.writableEnded) controller.abort();
    });
  return { deadline, signal: controller.signal };
}
