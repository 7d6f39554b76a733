import type { SecurityHeaders } from '@http-edge';
import type { FastifyInstance } from 'fastify';

/** GraphiQL's page loads its scripts and styles from unpkg.com: a `default-src 'none'` policy blanks it. */
const PAGE_PATH = /^\/graphiql(\/|$)/;

/**
 * Sets the headers (libs/http-edge's apiSecurityHeaders, the gateway's set) in an onSend hook: it runs for every answer sent through Fastify, whichever path
 * produced it (routes, GraphQL, 404s, error handlers, refusals by onRequest hooks). Answers Node
 * writes before Fastify sees a request get them from client-errors.ts.
 */
export function registerSecurityHeaders(
  fastify: FastifyInstance,
  headers: SecurityHeaders,
  { graphiql }: { graphiql: boolean },
): void {
  const pageHeaders = Object.fromEntries(
    Object.entries(headers).filter(([name]) => name !== 'content-security-policy'),
  );
  fastify.addHook('onSend', (request, reply, payload, done) => {
    void reply.headers(graphiql && PAGE_PATH.test(request.url) ? pageHeaders : headers);
    done(null, payload);
  });
}
