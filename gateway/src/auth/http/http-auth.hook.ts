import { Logger } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authorize, isPublic, type AccessPolicy } from '../access-policy';
import { permissionDenied } from '../auth-errors';
import type { Authenticator } from '../authenticator';
import { presentedCredential, rawHeaderValues, type Caller } from '@auth';
import { recordRoutes, registeredRoutes } from './http-routes';

const logger = new Logger('HttpAuth');

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook for every request that is not public; null on public routes. */
    caller: Caller | null;
  }
  interface FastifyContextConfig {
    access?: AccessPolicy;
  }
}

/**
 * Authentication and authorisation of every HTTP request, in Fastify's onRequest hook: before the
 * body is read, so an anonymous or unauthorised caller costs no body parsing. The policy comes from
 * the route's @Access() declaration; a route without one is refused, and an unknown URL needs a
 * credential before it gets its 404.
 */
export function registerHttpAuth(
  fastify: FastifyInstance,
  authenticator: Authenticator,
  metricsPublic: boolean,
): void {
  recordRoutes(fastify);
  fastify.addHook('onReady', (done) => {
    // Refused at run time anyway; said at start-up so the mistake is found before a caller finds it.
    for (const route of registeredRoutes(fastify).filter((entry) => !entry.access)) {
      logger.error(`${route.method} ${route.url} declares no access policy: every call is refused`);
    }
    done();
  });
  fastify.decorateRequest('caller', null);
  fastify.addHook('onRequest', async (request) => {
    const policy = request.routeOptions.config?.access;
    if (policy && isPublic(policy, metricsPublic)) return;
    const credential = presentedCredential(
      rawHeaderValues(request.raw.rawHeaders, 'x-api-key'),
      rawHeaderValues(request.raw.rawHeaders, 'authorization'),
    );
    request.caller = await authenticator.authenticate(credential, request.ip);
    if (policy) {
      authorize(request.caller, policy, modelParam(request));
    } else if (!request.is404) {
      throw permissionDenied(
        `${request.method} ${request.routeOptions.url} declares no access policy, so nobody may call it`,
      );
    }
  });
}

function modelParam(request: FastifyRequest): string | undefined {
  return (request.params as Record<string, string | undefined> | undefined)?.model;
}
