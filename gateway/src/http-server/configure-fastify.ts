import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GatewayMetrics } from '../metrics/gateway-metrics';
import { readBody } from './body-reader';
import { decodeContentEncoding } from './content-encoding';

/** Routes whose bodies are tensors or images: GATEWAY_MAX_BODY_BYTES applies to them. */
const BULK_BODY_ROUTE = /\/(infer|detect)$/;
/** Body limit of every other route, the server's default (JSON control requests are small). */
export function smallBodyLimit(maxBodyBytes: number): number {
  return Math.min(maxBodyBytes, 64 * 1024);
}

/**
 * HTTP plumbing below the controllers: every body arrives as a Buffer, with any gzip/deflate
 * content-encoding undone (each route decides how to read it: KServe JSON/binary, raw images), and
 * every request is timed. Errors Fastify raises before
 * routing (body too large, ...) reach HttpErrorFilter through Nest's error handler.
 */
export function configureFastify(
  fastify: FastifyInstance,
  metrics: GatewayMetrics,
  maxBodyBytes: number,
): void {
  // Only tensor and image routes take large bodies; every other route (admin JSON, ...) and unknown
  // paths get the server's small default (smallBodyLimit), so a route added later is tight unless
  // it is one of them.
  fastify.addHook('onRoute', (route) => {
    if (BULK_BODY_ROUTE.test(route.url)) route.bodyLimit = maxBodyBytes;
  });

  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', (request: FastifyRequest, payload, done) => {
    // The route's own limit bounds inflation too, so a small route cannot be fed a gzip bomb.
    const limit = request.routeOptions.bodyLimit ?? maxBodyBytes;
    readBody(payload, request.headers['content-length'], limit)
      .then((body) => decodeContentEncoding(request.headers['content-encoding'], body, limit))
      .then(
        (decoded) => done(null, decoded),
        (error: Error) => done(error),
      );
  });

  // Counted from this hook (authentication, an earlier onRequest hook, may refuse first) until the
  // response closes, however the request ends: answered, or aborted by its caller mid-body, when
  // Fastify's onResponse never runs.
  fastify.addHook('onRequest', (_request, reply, done) => {
    metrics.inFlight.inc({ protocol: 'http' });
    reply.raw.once('close', () => metrics.inFlight.dec({ protocol: 'http' }));
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const params = (request.params ?? {}) as Record<string, string | undefined>;
    // The route template, never the URL; model and version only as the backend serves them.
    metrics.observeRequest(
      {
        protocol: 'http',
        route: request.routeOptions.url ?? 'unmatched',
        model: params.model,
        version: params.version,
        status: reply.statusCode,
      },
      reply.elapsedTime / 1000,
    );
    done();
  });
}
