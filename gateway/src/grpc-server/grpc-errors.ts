import { Logger } from '@nestjs/common';
import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { MalformedMessage } from '@contracts/grpc/service-definition';
import { invalidArgument, toGatewayError } from '../errors/gateway-error';

const logger = new Logger('Grpc');

/** Any failure as a grpc-js ServiceError with the status its kind maps to. */
export function toServiceError(error: unknown): ServiceError {
  const gatewayError = toGatewayError(error);
  if (gatewayError.kind === 'internal')
    logger.error(error instanceof Error ? error.stack : String(error));
  return Object.assign(new Error(gatewayError.message), {
    code: gatewayError.grpcStatus,
    details: gatewayError.message,
    metadata: new Metadata(),
  });
}

/** Narrows a leniently decoded request, refusing malformed bytes with INVALID_ARGUMENT. */
export function decoded<T>(request: T | MalformedMessage): T {
  if (request instanceof MalformedMessage) {
    throw invalidArgument(`malformed ${request.typeName} message: ${request.reason}`);
  }
  return request;
}
