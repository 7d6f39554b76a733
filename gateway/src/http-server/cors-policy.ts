import type { CorsOrigins, CorsPolicy } from '@http-edge';

/**
 * What a page of an allowed origin may send and read (docs/api.md "Browsers and CORS").
 * Request headers: credentials, body types, the call's id, deadline and priority, KServe's binary
 * extension, trace context, and the routing table's usual sticky key.
 */
const ALLOWED_HEADERS = [
  'x-api-key',
  'authorization',
  'content-type',
  'content-encoding',
  'x-request-id',
  'x-request-timeout',
  'x-priority',
  'x-camera-id',
  'inference-header-content-length',
  'traceparent',
  'tracestate',
] as const;

/**
 * Response headers a script may read besides the CORS-safelisted ones (content-type, ...): the
 * call's id, when to retry, the IETF RateLimit fields, and where a binary answer's JSON ends.
 */
const EXPOSED_HEADERS = [
  'x-request-id',
  'retry-after',
  'ratelimit',
  'ratelimit-policy',
  'inference-header-content-length',
  'content-length',
] as const;

/** The gateway's CORS policy for GATEWAY_CORS_ORIGINS. */
export function gatewayCorsPolicy(origins: CorsOrigins): CorsPolicy {
  return {
    origins,
    methods: ['GET', 'HEAD', 'POST', 'DELETE'],
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
  };
}
