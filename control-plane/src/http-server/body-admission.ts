import type { FastifyInstance } from 'fastify';
import type { HttpLimits } from '../config/control-plane-config';
import { announcesBody, refuseEarly } from './early-refusal';
import { PendingBodyBudget } from './pending-body-budget';
import { isStreamedBody } from './streamed-body';

/** How long a caller refused for a full budget should wait: bodies drain within the request timeout. */
const RETRY_AFTER_SECONDS = 1;

/**
 * Admits request bodies before any byte of them is read (an onRequest hook, for every route):
 * a body must declare its Content-Length (no chunked uploads: 411), be at most
 * CONTROL_PLANE_MAX_BODY_BYTES (413), and fit in what all bodies being received may hold together,
 * CONTROL_PLANE_MAX_PENDING_BODY_BYTES (503 with Retry-After). How long a body may take is Node's
 * request timeout (client-errors.ts answers 408). A streamed upload (streamed-body.ts) is written
 * to disk as it arrives, never held: its route bounds it instead.
 */
export function registerBodyAdmission(
  fastify: FastifyInstance,
  limits: Pick<HttpLimits, 'maxBodyBytes' | 'maxPendingBodyBytes'>,
): PendingBodyBudget {
  const budget = new PendingBodyBudget(limits.maxPendingBodyBytes);
  fastify.addHook('onRequest', async (request, reply) => {
    const { headers } = request;
    if (!announcesBody(headers) || isStreamedBody(request)) return;
    if (headers['content-length'] === undefined) {
      return refuseEarly(
        reply,
        411,
        'LENGTH_REQUIRED',
        'send the request body with a Content-Length header (chunked bodies are not accepted)',
      );
    }
    // Node's parser has already refused a Content-Length that is not a number.
    const declared = Number(headers['content-length']);
    if (declared > limits.maxBodyBytes) {
      return refuseEarly(
        reply,
        413,
        'PAYLOAD_TOO_LARGE',
        `the request body is ${declared} bytes; at most ${limits.maxBodyBytes} are accepted ` +
          '(CONTROL_PLANE_MAX_BODY_BYTES)',
      );
    }
    const release = budget.tryReserve(declared);
    if (release === undefined) {
      void reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      return refuseEarly(
        reply,
        503,
        'SERVICE_UNAVAILABLE',
        'the control plane is already receiving as many request bodies as it holds at once ' +
          '(CONTROL_PLANE_MAX_PENDING_BODY_BYTES); retry shortly',
      );
    }
    // 'close' comes once the request is over: body read, answer sent, or connection gone.
    request.raw.once('close', release);
  });
  return budget;
}
