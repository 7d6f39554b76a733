import type { IncomingMessage } from 'node:http';
import { closeAfterAnswer } from '@http-edge';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ControlPlaneFailure } from '../errors/control-plane-error';

/**
 * Routes that stream their body to disk (artifact uploads) instead of holding it in memory. Such a
 * body is not bounded by CONTROL_PLANE_MAX_BODY_BYTES, the pending-body budget or Node's request
 * timeout; the route bounds it itself (its own byte limit, and the deadline handed out here). A
 * request is "streamed" when its route opts in with `@RouteConfig(STREAMED_BODY_ROUTE)` AND it
 * carries `Content-Type: application/offset+octet-stream`; anything else on those routes (a JSON
 * body) goes through the ordinary limits.
 */
export const STREAMED_BODY_MEDIA_TYPE = 'application/offset+octet-stream';

/** Fastify route config (Nest's `@RouteConfig`) of a route that takes a streamed body. */
export const STREAMED_BODY_ROUTE = { streamedBody: true } as const;

/** Sockets whose request enforces its own deadline: Node's request timeout must not cut them. */
const ownDeadlineSockets = new WeakSet<object>();
const deadlines = new WeakMap<IncomingMessage, AbortSignal>();

export function isStreamedBody(request: FastifyRequest): boolean {
  const config = request.routeOptions.config as { streamedBody?: unknown } | undefined;
  return config?.streamedBody === true && isStreamedMediaType(request.headers['content-type']);
}

function isStreamedMediaType(contentType: string | undefined): boolean {
  return contentType?.split(';')[0].trim().toLowerCase() === STREAMED_BODY_MEDIA_TYPE;
}

/**
 * Fires when a streamed request has run for CONTROL_PLANE_UPLOAD_REQUEST_TIMEOUT_MS; its reason is
 * the REQUEST_TIMEOUT failure to answer with. Undefined for a request that is not streamed.
 */
export function streamedBodyDeadline(request: FastifyRequest): AbortSignal | undefined {
  return deadlines.get(request.raw);
}

/**
 * Whether Node's request timeout (checked for every connection by the HTTP server) should leave
 * this socket alone: its request is a streamed body under its own, longer deadline. Node takes the
 * connection off its deadline list before asking, so ignoring the timeout once is enough.
 */
export function ownsRequestDeadline(socket: object): boolean {
  return ownDeadlineSockets.has(socket);
}

/**
 * The parser that hands a streamed body over unread (the route reads it), the hook that gives
 * a streamed request its own deadline, and the one that closes a connection whose body is left unread. Any other route refuses the media type (415), so no body is
 * left unbounded by mistake.
 */
export function registerStreamedBody(fastify: FastifyInstance, requestTimeoutMs: number): void {
  fastify.addContentTypeParser(STREAMED_BODY_MEDIA_TYPE, (request, payload, done) => {
    if (isStreamedBody(request)) return done(null, payload);
    done(
      Object.assign(
        new ControlPlaneFailure(
          'UNSUPPORTED_MEDIA_TYPE',
          `${STREAMED_BODY_MEDIA_TYPE} is accepted only by /v1/uploads`,
        ),
        { statusCode: 415 },
      ),
    );
  });
  fastify.addHook('onRequest', (request, _reply, done) => {
    if (!isStreamedBody(request)) return done();
    const socket = request.raw.socket;
    ownDeadlineSockets.add(socket);
    const deadline = new AbortController();
    const timer = setTimeout(
      () =>
        deadline.abort(
          new ControlPlaneFailure(
            'REQUEST_TIMEOUT',
            `the upload did not arrive within ${requestTimeoutMs} ms ` +
              '(CONTROL_PLANE_UPLOAD_REQUEST_TIMEOUT_MS); resume it from its Upload-Offset',
          ),
        ),
      requestTimeoutMs,
    );
    deadlines.set(request.raw, deadline.signal);
    // 'close' comes once the request is over: answered, or the connection gone.
    request.raw.once('close', () => {
      clearTimeout(timer);
      ownDeadlineSockets.delete(socket);
    });
    done();
  });
  // An answer sent before the body was all read (a refusal by a guard or the route, a deadline)
  // closes the connection: Node would otherwise read and discard up to the rest of an upload.
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (isStreamedBody(request) && !request.raw.complete) closeAfterAnswer(request.raw, reply.raw);
    done(null, payload);
  });
}
