import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import helmet from 'helmet';

/** Header name (lower case) to value. */
export type SecurityHeaders = Readonly<Record<string, string>>;

/**
 * helmet's headers for a data API (the gateway and the control plane serve JSON and tensors, never
 * pages): the content security policy forbids everything and framing is denied. They depend on
 * nothing in the request, so helmet runs once, here, and every answer (including those written
 * straight to a socket) gets the same set.
 */
export function apiSecurityHeaders(
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
  const response = new ServerResponse(new IncomingMessage(new Socket()));
  middleware(response.req, response, (error?: unknown) => {
    // helmet reports only misconfiguration (and since 8.1 throws it directly instead).
    if (error) throw error instanceof Error ? error : new Error('helmet failed', { cause: error });
  });
  return Object.fromEntries(
    Object.entries(response.getHeaders()).map(([name, value]) => [
      name,
      Array.isArray(value) ? value.join(', ') : String(value),
    ]),
  );
}
