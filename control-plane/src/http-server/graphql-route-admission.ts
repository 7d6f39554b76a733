import type { FastifyInstance } from 'fastify';
import { shown } from '../errors/control-plane-error';
import { refuseEarly } from './early-refusal';

/**
 * The GraphQL endpoint takes `POST` with `Content-Type: application/json` and nothing else, checked
 * before the body is read (an onRequest hook):
 * - a cross-site page can send a "simple" request (GET, or POST as form data or text/plain) without
 *   the browser asking first; `application/json` makes the browser ask (CORS preflight), and the
 *   control plane allows only the origins of CONTROL_PLANE_CORS_ORIGINS (none by default), so only
 *   those pages, same-origin pages and non-browser clients get in;
 * - GET would also put queries and their variables into URLs, access logs and caches, and a
 *   mutation must never run from a link, so GET is refused outright rather than allowed for queries.
 */
export function registerGraphqlRouteAdmission(fastify: FastifyInstance, graphqlPath: string): void {
  fastify.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.url !== graphqlPath) return;
    if (request.method !== 'POST') {
      void reply.header('allow', 'POST');
      return refuseEarly(
        reply,
        405,
        'METHOD_NOT_ALLOWED',
        `${graphqlPath} takes POST with a JSON body, not ${request.method}`,
      );
    }
    const contentType = request.headers['content-type'];
    if (!isJson(contentType)) {
      return refuseEarly(
        reply,
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        `${graphqlPath} takes Content-Type: application/json` +
          (contentType === undefined ? ' (none was sent)' : ` (got ${shown(contentType)})`),
      );
    }
  });
}

/** `application/json`, with at most a UTF-8 charset parameter (JSON is UTF-8; RFC 8259). */
function isJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const [type, ...parameters] = contentType.split(';').map((part) => part.trim().toLowerCase());
  return (
    type === 'application/json' &&
    parameters.every((parameter) => parameter === '' || parameter === 'charset=utf-8')
  );
}
