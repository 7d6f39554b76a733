import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { decodeContentEncoding } from './content-encoding';

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
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(
    '*',
    { parseAs: 'buffer' },
    (request: FastifyRequest, body: Buffer, done) => {
      decodeContentEncoding(request.headers['content-encoding'], body, maxBodyBytes).then(
        (decoded) => done(null, decoded),
        (error: Error) => done(error),
      );
    },
  );

  fastify.addHook('onRequest', (_request, _reply, done) => {
    metrics.inFlight.inc({ protocol: 'http' });
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.inFlight.dec({ protocol: 'http' });
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
