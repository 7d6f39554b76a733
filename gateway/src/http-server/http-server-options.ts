import type { FastifyHttpOptions } from 'fastify';
import type { Server } from 'node:http';
import type { SecurityHeaders } from '@http-edge';
import type { GatewayConfig } from '../config/gateway-config';
import { clientErrorHandler } from './client-errors';

/**
 * Node's own check of request deadlines runs this often (its default, 30 s, would let a 2 s
 * deadline run to 32 s). One pass over the connections still arriving: cheap.
 */
const DEADLINE_CHECK_INTERVAL_MS = 1000;
/**
 * Node's request deadline is a backstop a little past the gateway's own (body-guard.ts), which
 * answers first in the route's error shape; Node's catches bodies nobody reads (a GET with a body,
 * the rest of a refused upload) and answers through clientErrorHandler.
 */
const BACKSTOP_GRACE_MS = 1000;

type ServerOptions = Pick<
  FastifyHttpOptions<Server>,
  'requestTimeout' | 'keepAliveTimeout' | 'connectionTimeout' | 'http' | 'clientErrorHandler'
>;

/** Deadlines of the HTTP server and how it answers what its parser refuses. */
export function httpServerOptions(
  settings: GatewayConfig['http'],
  securityHeaders: SecurityHeaders,
): ServerOptions {
  const requestTimeout = settings.requestTimeoutMs + BACKSTOP_GRACE_MS;
  return {
    requestTimeout,
    keepAliveTimeout: settings.keepAliveTimeoutMs,
    // No idle timeout on a connection with a request in progress: a slow model is not a slow
    // caller; the deadlines above bound what a caller can hold.
    connectionTimeout: 0,
    http: {
      requestTimeout,
      headersTimeout: settings.headersTimeoutMs,
      connectionsCheckingInterval: DEADLINE_CHECK_INTERVAL_MS,
    },
    clientErrorHandler: clientErrorHandler(settings, securityHeaders),
  };
}
