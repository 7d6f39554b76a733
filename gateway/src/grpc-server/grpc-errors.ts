import { Logger } from '@nestjs/common';
import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { MalformedMessage } from '@contracts/grpc/service-definition';
import { type GatewayError, invalidArgument, toGatewayError } from '../errors/gateway-error';

const logger = new Logger('Grpc');

/** Any failure as a grpc-js ServiceError with the status its kind maps to. */
export function toServiceError(error: unknown): ServiceError {
  const gatewayError = toGatewayError(error);
  if (gatewayError.kind === 'internal')
    logger.error(error instanceof Error ? error.stack : String(error));
  return Object.assign(new Error(gatewayError.message), {
    code: gatewayError.grpcStatus,
    details: gatewayError.message,
    metadata: hintTrailers(gatewayError),
  });
}

/** The refusal's hints as trailers: the retry delay both as gRPC's standard pushback and plainly. */
function hintTrailers(error: GatewayError): Metadata {
  const trailers = new Metadata();
  for (const [key, value] of Object.entries(error.hints.headers ?? {})) {
    trailers.set(key.toLowerCase(), value);
  }
  if (error.hints.retryAfterMs !== undefined) {
    const delay = String(Math.max(0, Math.ceil(error.hints.retryAfterMs)));
    trailers.set('retry-after-ms', delay);
    trailers.set('grpc-retry-pushback-ms', delay);
  }
  return trailers;
}

/** Narrows a leniently decoded request, refusing malformed bytes with INVALID_ARGUMENT. */
export function decoded<T>(request: T | MalformedMessage): T {
  if (request instanceof MalformedMessage) {
    throw invalidArgument(`malformed ${request.typeName} message: ${request.reason}`);
  }
  return request;
}

/**
 * A field the call cannot do without (the model a KServe or vision call names), refused by its
 * protobuf name when empty: proto3 cannot tell an empty string from a missing one.
 */
export function requiredField(value: string, field: string): string {
  if (value === '') throw invalidArgument(`'${field}' is required: name the model to call`);
  return value;
}
