import { type FastifyInstance } from 'fastify';
import { type ControlPlaneMetrics } from './control-plane-metrics';

/**
 * Times every request with a Fastify hook rather than a Nest interceptor, so that routes Nest does
 * not own (mercurius' /graphql) are measured too. Must be installed before routes are registered.
 */
export function installHttpRequestMetrics(
  fastify: FastifyInstance,
  metrics: ControlPlaneMetrics,
): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.httpRequestDuration.observe(
      {
        method: request.method,
        // The route pattern, not the raw URL, keeps label cardinality bounded.
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
    done();
  });
}
