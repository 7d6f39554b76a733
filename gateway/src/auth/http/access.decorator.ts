import { RouteConfig } from '@nestjs/platform-fastify';
import type { AccessPolicy } from '../access-policy';

/**
 * Declares who may call a route. It travels as Fastify route config, so the onRequest hook
 * (http-auth.hook.ts) decides before the body is read; a route without it is refused.
 */
export const Access = (policy: AccessPolicy): MethodDecorator => RouteConfig({ access: policy });
