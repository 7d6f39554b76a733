import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

/** Sets the security headers on a response that has not been sent yet. */
export type ApplySecurityHeaders = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * helmet's headers for a data API: the gateway serves JSON and binary tensors, never pages, so the
 * content security policy forbids everything and framing is denied.
 */
export function securityHeaders(
  /** Strict-Transport-Security max-age; 0 sends no HSTS header (TLS terminated elsewhere, or none). */
  hstsMaxAgeSeconds: number,
): ApplySecurityHeaders {
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
  return (request, response) =>
    middleware(request, response, (error?: unknown) => {
      // helmet reports only misconfiguration, and since 8.1 throws it directly instead.
      if (error)
        throw error instanceof Error ? error : new Error('helmet failed', { cause: error });
    });
}

/**
 * Applies the headers in an onSend hook: it runs for every answer sent through Fastify, whichever
 * path produced it (routes, 404s, the error handler, refusals by onRequest hooks such as
 * authentication, and the 404 handler Fastify calls without hooks for a malformed URL on a method
 * no route serves). `frameworkErrorHandler` applies them to the answers Fastify writes itself.
 */
export function registerSecurityHeaders(
  fastify: FastifyInstance,
  apply: ApplySecurityHeaders,
): void {
  fastify.addHook('onSend', (request, reply, payload, done) => {
    apply(request.raw, reply.raw);
    done(null, payload);
  });
}

/**
 * The headers `apply` sets, as name → value, for answers written straight to a socket (what Node's
 * parser refuses has no response object: client-errors.ts). helmet's headers do not depend on the
 * request, so they are read once from a response that is never sent.
 */
export function securityHeaderFields(apply: ApplySecurityHeaders): Record<string, string> {
  const request = new IncomingMessage(new Socket());
  const response = new ServerResponse(request);
  apply(request, response);
  return Object.fromEntries(
    Object.entries(response.getHeaders()).map(([name, value]) => [
      name,
      Array.isArray(value) ? value.join(', ') : String(value),
    ]),
  );
}
