import type { FastifyInstance, RouteOptions } from 'fastify';
import type { AccessPolicy } from '../access-policy';

/** One registered HTTP route and the access policy it declares (undefined: none, refused). */
export interface RegisteredRoute {
  method: string;
  url: string;
  access?: AccessPolicy;
}

const registries = new WeakMap<FastifyInstance, RegisteredRoute[]>();

/** Records every route registered from now on (Nest registers its routes at init). */
export function recordRoutes(fastify: FastifyInstance): void {
  const routes: RegisteredRoute[] = [];
  registries.set(fastify, routes);
  fastify.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const access = route.config?.access;
    for (const method of methods) routes.push({ method, url: route.url, access });
  });
}

/** Every HTTP route of the server, for the route audit and the start-up check. */
export function registeredRoutes(fastify: FastifyInstance): readonly RegisteredRoute[] {
  return registries.get(fastify) ?? [];
}
