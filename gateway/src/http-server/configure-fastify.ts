import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayMetrics } from '../metrics/gateway-metrics';
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
  fastify.addContentTypeParser(
    '*',
    { parseAs: 'buffer' },
    (request: FastifyRequest, body: Buffer, done) => {
      // The route's own limit bounds inflation too, so a small route cannot be fed a gzip bomb.
      const limit = request.routeOptions.bodyLimit ?? maxBodyBytes;
      decodeContentEncoding(request.headers['content-encoding'], body, limit).then(
        (decoded) => done(null, decoded),
        (error: Error) => done(error),
      );
    },
  );

  // Paired per request: an earlier onRequest hook (authentication) may refuse a request before this
  // one runs, and onResponse still runs for it; an unpaired decrement would drive the gauge negative.
  const inFlight = new WeakSet<FastifyRequest>();
  fastify.addHook('onRequest', (request, _reply, done) => {
    inFlight.add(request);
    metrics.inFlight.inc({ protocol: 'http' });
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    if (inFlight.delete(request)) metrics.inFlight.dec({ protocol: 'http' });
    const params = (request.params ?? {}) as Record<string, string | undefined>;
    metrics.requestDuration.observe(
      {
        protocol: 'http',
        route: request.routeOptions.url ?? 'unmatched',
        model: params.model ?? '',
        version: params.version ?? '',
        outcome: GatewayMetrics.outcomeOf(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
    done();
  });
}
