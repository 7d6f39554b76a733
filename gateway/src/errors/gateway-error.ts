import { status as GrpcStatus } from '@grpc/grpc-js';

/**
 * The one vocabulary of failures on the request path. Each front door (KServe REST, KServe gRPC,
 * vision REST/gRPC) maps a kind to its own wire form, so a stage never needs to know which protocol
 * it serves.
 */
export const ERROR_KINDS = {
  invalid_argument: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT },
  not_found: { http: 404, grpc: GrpcStatus.NOT_FOUND },
  payload_too_large: { http: 413, grpc: GrpcStatus.RESOURCE_EXHAUSTED },
  unsupported_media_type: { http: 415, grpc: GrpcStatus.INVALID_ARGUMENT },
  resource_exhausted: { http: 429, grpc: GrpcStatus.RESOURCE_EXHAUSTED },
  unavailable: { http: 503, grpc: GrpcStatus.UNAVAILABLE },
  deadline_exceeded: { http: 504, grpc: GrpcStatus.DEADLINE_EXCEEDED },
  internal: { http: 500, grpc: GrpcStatus.INTERNAL },
} as const;

export type ErrorKind = keyof typeof ERROR_KINDS;

export class GatewayError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
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
  return new GatewayError('internal', 'internal error');
}
