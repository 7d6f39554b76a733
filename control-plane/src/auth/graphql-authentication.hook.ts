import type { FastifyInstance } from 'fastify';
import { ControlPlaneFailure } from '../errors/control-plane-error';
import { httpStatusFor } from '../errors/control-plane-error';
import { refuseEarly } from '../http-server/early-refusal';
import type { ControlPlaneAuthenticator } from './control-plane-authenticator';

/**
 * Every request to the GraphQL endpoint is authenticated in Fastify's onRequest hook, before its
 * body is read or parsed: an anonymous caller costs no parsing, and its answer (401,
 * `extensions.code: UNAUTHENTICATED`) is the same whatever it sent, a valid query or not, so an
 * anonymous caller learns nothing about the schema from validation errors. Roles are checked
 * later, per resolver (@RequireRole), where the operation is known.
 */
export function registerGraphqlAuthentication(
  fastify: FastifyInstance,
  authenticator: ControlPlaneAuthenticator,
  graphqlPath: string,
): void {
  fastify.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.url !== graphqlPath) return;
    try {
      await authenticator.identify(request);
    } catch (error) {
      if (!(error instanceof ControlPlaneFailure)) throw error;
      const retryAfterMs = error.extensions.retryAfterMs;
      if (typeof retryAfterMs === 'number') {
        void reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
      }
      if (error.code === 'UNAUTHENTICATED') void reply.header('www-authenticate', 'Bearer');
      return refuseEarly(reply, httpStatusFor(error.code), error.code, error.message);
    }
  });
}
