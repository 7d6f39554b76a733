import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

/** Header name (lower case) to value. */
export type SecurityHeaders = Readonly<Record<string, string>>;

/**
 * helmet's headers for a data API, the same set the gateway sends: the control plane serves JSON,
 * never pages (GraphiQL aside, outside production), so the content security policy forbids
 * everything and framing is denied. They depend on nothing in the request, so helmet runs once,
 * here, and every answer (including those written straight to the socket) gets the same set.
 */
export function securityHeaders(
  /** Strict-Transport-Security max-age; 0 sends no HSTS header (TLS terminated elsewhere, or none). */
  hstsMaxAgeSeconds: number,
): SecurityHeaders {
  const middleware = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
    strictTransportSecurity:
      hstsMaxAgeSeconds > 0 ? { maxAge: hstsMaxAgeSeconds, includeSubDomains: false } : false,
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
  const request = new IncomingMessage(new Socket());
  const response = new ServerResponse(request);
  middleware(request, response, (error?: unknown) => {
    if (error) throw error instanceof Error ? error : new Error('helmet failed', { cause: error });
  });
  return Object.fromEntries(
    Object.entries(response.getHeaders()).map(([name, value]) => [name, String(value)]),
  );
}

/** GraphiQL's page loads its scripts and styles from unpkg.com: a `default-src 'none'` policy blanks it. */
const PAGE_PATH = /^\/graphiql(\/|$)/;

/**
 * Sets the headers in an onSend hook: it runs for every answer sent through Fastify, whichever path
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
