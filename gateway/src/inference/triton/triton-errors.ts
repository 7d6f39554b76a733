import { status, type ServiceError } from '@grpc/grpc-js';
import { GatewayError } from '../../errors/gateway-error';

export function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === 'number';
}

/** A failure in a few words for logs and error messages, e.g. `UNAVAILABLE: Connection dropped`. */
export function describeFailure(error: unknown): string {
  if (isServiceError(error)) return `${status[error.code] ?? error.code}: ${error.details}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * A failed call to a Triton endpoint as a GatewayError. Transport failures name the endpoint (which
 * Triton went away matters to whoever reads the log); Triton's own verdicts on the request
 * (INVALID_ARGUMENT, NOT_FOUND, ...) pass through with Triton's message, as a client of Triton
 * would have seen them.
 */
export function fromTritonError(error: unknown, address: string, timeoutMs: number): GatewayError {
  if (error instanceof GatewayError) return error;
  if (!isServiceError(error)) {
    const reason = error instanceof Error ? error.message : String(error);
    return new GatewayError('internal', `Triton endpoint ${address}: ${reason}`);
  }
  const details = error.details || error.message;
  switch (error.code) {
    case status.UNAVAILABLE:
      return new GatewayError('unavailable', `Triton endpoint ${address} unavailable: ${details}`);
    case status.DEADLINE_EXCEEDED:
      return new GatewayError(
        'deadline_exceeded',
        `Triton endpoint ${address} did not answer within ${timeoutMs} ms`,
      );
    case status.CANCELLED:
      return new GatewayError('unavailable', `call to Triton endpoint ${address} cancelled`);
    case status.INVALID_ARGUMENT:
    case status.OUT_OF_RANGE:
    case status.FAILED_PRECONDITION:
      return new GatewayError('invalid_argument', details);
    case status.NOT_FOUND:
      return new GatewayError('not_found', details);
    case status.RESOURCE_EXHAUSTED:
      return new GatewayError('resource_exhausted', details);
    default:
      return new GatewayError(
        'internal',
        `Triton endpoint ${address} failed (${status[error.code] ?? error.code}): ${details}`,
      );
  }
}
