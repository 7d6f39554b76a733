import { status as GrpcStatus } from '@grpc/grpc-js';
import { CredentialRefusal } from '@auth';
import { truncated } from './quoted-value';

/**
 * The one vocabulary of failures on the request path. Each front door (KServe REST, KServe gRPC,
 * vision REST/gRPC) maps a kind to its own wire form, so a stage never needs to know which protocol
 * it serves.
 */
export const ERROR_KINDS = {
  invalid_argument: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT },
  unauthenticated: { http: 401, grpc: GrpcStatus.UNAUTHENTICATED },
  permission_denied: { http: 403, grpc: GrpcStatus.PERMISSION_DENIED },
  not_found: { http: 404, grpc: GrpcStatus.NOT_FOUND },
  /** The target is in a state that forbids the change (e.g. rotating a revoked API key). */
  conflict: { http: 409, grpc: GrpcStatus.FAILED_PRECONDITION },
  /** The request (head or body) did not arrive within its deadline. */
  request_timeout: { http: 408, grpc: GrpcStatus.DEADLINE_EXCEEDED },
  payload_too_large: { http: 413, grpc: GrpcStatus.RESOURCE_EXHAUSTED },
  /** The request head is over Node's limit (HTTP only: gRPC metadata has its own). */
  headers_too_large: { http: 431, grpc: GrpcStatus.RESOURCE_EXHAUSTED },
  unsupported_media_type: { http: 415, grpc: GrpcStatus.INVALID_ARGUMENT },
  resource_exhausted: { http: 429, grpc: GrpcStatus.RESOURCE_EXHAUSTED },
  /** A protocol extension the server does not implement (kserve/extensions/). */
  unimplemented: { http: 501, grpc: GrpcStatus.UNIMPLEMENTED },
  unavailable: { http: 503, grpc: GrpcStatus.UNAVAILABLE },
  deadline_exceeded: { http: 504, grpc: GrpcStatus.DEADLINE_EXCEEDED },
  // The caller went away (closed the connection, cancelled the call): nobody reads the answer, but
  // logs and metrics should not count it as the gateway's failure. 499 as nginx records it.
  cancelled: { http: 499, grpc: GrpcStatus.CANCELLED },
  internal: { http: 500, grpc: GrpcStatus.INTERNAL },
} as const;

export type ErrorKind = keyof typeof ERROR_KINDS;

/**
 * What a refusal tells the caller beyond its message. Front doors write `retryAfterMs` as HTTP
 * `Retry-After` (seconds, rounded up) and as the gRPC trailers `retry-after-ms` and
 * `grpc-retry-pushback-ms`; `headers` go out as HTTP response headers and gRPC trailers as they are
 * (e.g. the IETF `RateLimit` / `RateLimit-Policy` fields).
 */
export interface ErrorHints {
  retryAfterMs?: number;
  headers?: Record<string, string>;
}

/**
 * Longest message an error carries. Call sites cut the caller values they quote (quoted-value.ts);
 * this bound holds for any message they build, so no answer grows with its input.
 */
export const MAX_ERROR_MESSAGE_CHARS = 1000;

export class GatewayError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly hints: ErrorHints = {},
  ) {
    super(truncated(message, MAX_ERROR_MESSAGE_CHARS));
    this.name = 'GatewayError';
  }

  get httpStatus(): number {
    return ERROR_KINDS[this.kind].http;
  }

  get grpcStatus(): GrpcStatus {
    return ERROR_KINDS[this.kind].grpc;
  }
}

export const invalidArgument = (message: string): GatewayError =>
  new GatewayError('invalid_argument', message);
export const notFound = (message: string): GatewayError => new GatewayError('not_found', message);
export const unavailable = (message: string): GatewayError =>
  new GatewayError('unavailable', message);

/** Any thrown value as a GatewayError; unknown failures become `internal` without leaking detail. */
export function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  if (error instanceof CredentialRefusal) return fromCredentialRefusal(error);
  return new GatewayError('internal', 'internal error');
}

/**
 * A refused credential check (libs/auth) in the gateway's vocabulary: 401 with the RFC 6750
 * challenge, 403, 429 or 503 with Retry-After.
 */
function fromCredentialRefusal(refusal: CredentialRefusal): GatewayError {
  if (refusal.kind === 'unauthenticated') {
    return new GatewayError('unauthenticated', refusal.message, {
      headers: { 'www-authenticate': 'Bearer realm="gateway"' },
    });
  }
  return new GatewayError(
    refusal.kind,
    refusal.message,
    refusal.retryAfterMs === undefined ? {} : { retryAfterMs: refusal.retryAfterMs },
  );
}
