import type { SecurityHeaders } from '@http-edge';
import type { FastifyInstance } from 'fastify';

/**
 * Sets the headers (libs/http-edge's apiSecurityHeaders) in an onSend hook: it runs for every
 * answer sent through Fastify, whichever path produced it (routes, 404s, the error handler,
 * refusals by onRequest hooks such as authentication, and the 404 handler Fastify calls without
 * hooks for a malformed URL on a method no route serves). `frameworkErrorHandler` sets them on the
 * answers Fastify writes itself; client-errors.ts on what Node's parser refuses.
 */
export function registerSecurityHeaders(fastify: FastifyInstance, headers: SecurityHeaders): void {
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    // A route that serves a page (the API docs) sets a policy of its own; every other answer
    // gets the data API's `default-src 'none'`.
    const ownPolicy = reply.getHeader('content-security-policy');
    void reply.headers(headers);
    if (ownPolicy !== undefined) void reply.header('content-security-policy', ownPolicy);
    done(null, payload);
  });
}
