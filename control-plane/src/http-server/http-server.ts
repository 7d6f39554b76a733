import type { SecurityHeaders } from '@http-edge';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { ServerOptions } from 'node:http';
import type { HttpLimits } from '../config/control-plane-config';
import { registerBodyAdmission } from './body-admission';
import { clientErrorHandler } from './client-errors';
import { registerGraphqlRouteAdmission } from './graphql-route-admission';
import { registerSecurityHeaders } from './security-headers';
import { registerStreamedBody } from './streamed-body';

/**
 * Fastify's options for the control plane's HTTP server. Fastify leaves every deadline off (0) and
 * takes 1 MiB bodies; here each phase of a connection has one:
 * - headers within CONTROL_PLANE_HEADERS_TIMEOUT_MS, the whole request within
 *   CONTROL_PLANE_REQUEST_TIMEOUT_MS (Node's timers; the answer is client-errors.ts' 408),
 * - no byte moving while a request is open for CONTROL_PLANE_IDLE_TIMEOUT_MS (a caller that stops
 *   reading the answer), an idle keep-alive connection for CONTROL_PLANE_KEEP_ALIVE_TIMEOUT_MS.
 */
export function httpServerOptions(
  limits: HttpLimits,
  headers: SecurityHeaders,
): FastifyServerOptions & { http: ServerOptions } {
  return {
    bodyLimit: limits.maxBodyBytes,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionTimeout: limits.idleTimeoutMs,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // Node checks the two deadlines above on this period (30 s by default), so a deadline fires
      // at most this late.
      connectionsCheckingInterval: Math.min(1000, Math.ceil(limits.headersTimeoutMs / 4)),
    },
    clientErrorHandler: clientErrorHandler(limits, headers),
  };
}

/**
 * Request handling below the routes: bodies are JSON only and admitted before they are read,
 * /graphql takes POST with JSON only, and every answer carries the security headers. Runs before
 * any route is registered, so every route (mercurius' included) gets the hooks.
 */
export function configureHttpServer(
  fastify: FastifyInstance,
  limits: HttpLimits,
  headers: SecurityHeaders,
  options: { graphqlPath: string; graphiql: boolean; uploadRequestTimeoutMs: number },
): void {
  fastify.server.maxConnections = limits.maxConnections;
  // Fastify's defaults also parse text/plain; Nest's add form data. Only JSON is ever read.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'string' },
    fastify.getDefaultJsonParser('error', 'error'),
  );
  // Artifact uploads stream to disk under their own limits; before body admission, which skips them.
  registerStreamedBody(fastify, options.uploadRequestTimeoutMs);
  registerSecurityHeaders(fastify, headers, { graphiql: options.graphiql });
  // Method and media type first: a GET or form post is refused whatever its size.
  registerGraphqlRouteAdmission(fastify, options.graphqlPath);
  registerBodyAdmission(fastify, limits);
}
