import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GatewayMetrics } from '../metrics/gateway-metrics';
import type { CallRecord } from '../tracing/call-record';
import { readBody } from './body-reader';
import { decodeContentEncoding } from './content-encoding';

/** Routes whose bodies are tensors or images: GATEWAY_MAX_BODY_BYTES applies to them. */
const BULK_BODY_ROUTE = /\/(infer|detect)$/;
/** Body limit of every other route, the server's default (JSON control requests are small). */
export function smallBodyLimit(maxBodyBytes: number): number {
  return Math.min(maxBodyBytes, 64 * 1024);
}

/** A request's body as one Buffer, its content-encoding undone, within the route's limit. */
export function readWholeBody(
  request: FastifyRequest,
  payload: Readable,
  maxBodyBytes: number,
): Promise<Buffer> {
  // The route's own limit bounds inflation too, so a small route cannot be fed a gzip bomb.
  const limit = request.routeOptions.bodyLimit ?? maxBodyBytes;
  return readBody(payload, request.headers['content-length'], limit).then((body) =>
    decodeContentEncoding(request.headers['content-encoding'], body, limit),
  );
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
    readWholeBody(request, payload, maxBodyBytes).then(
      (decoded) => done(null, decoded),
      (error: Error) => done(error),
    );
  });

  // Each request's call record, kept here for onResponse: the record's own hook ends it (and lets
  // go of it) first, and it holds the version the call was routed to.
  const records = new WeakMap<FastifyRequest, CallRecord>();
  // Counted from this hook (authentication, an earlier onRequest hook, may refuse first) until the
  // response closes, however the request ends: answered, or aborted by its caller mid-body, when
  // Fastify's onResponse never runs.
  fastify.addHook('onRequest', (request, reply, done) => {
    if (request.callRecord) records.set(request, request.callRecord);
    metrics.inFlight.inc({ protocol: 'http' });
    reply.raw.once('close', () => metrics.inFlight.dec({ protocol: 'http' }));
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const params = (request.params ?? {}) as Record<string, string | undefined>;
    // The route template, never the URL; model and version only as the backend serves them, the
    // version the call was routed to when it got that far (its call record says).
    metrics.observeRequest(
      {
        protocol: 'http',
        route: request.routeOptions.url ?? 'unmatched',
        model: params.model,
        version: records.get(request)?.version ?? params.version,
        status: reply.statusCode,
      },
      reply.elapsedTime / 1000,
    );
    done();
  });
}
