import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  Logger,
} from '@nestjs/common';
import { closeAfterAnswer } from '@http-edge';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError, toGatewayError, type ErrorKind } from '../errors/gateway-error';

/**
 * Every HTTP error in the shape of its route family: KServe routes (`/v2`) answer the protocol's
 * `{"error": "..."}`; the rest answer `{"error": {"code": "<kind>", "message": "..."}}`.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const error = callerWentAway(exception, request)
      ? new GatewayError('cancelled', 'the caller went away before the answer')
      : (fromHttpException(exception) ?? fromFastifyError(exception) ?? toGatewayError(exception));
    if (error.kind === 'cancelled') {
      // Not the gateway's failure: nobody reads the answer, and there is no stack worth keeping.
      this.logger.debug({
        msg: `request ${request.id} (${request.method} ${request.routeOptions.url ?? 'unmatched'}): the caller went away before the answer (${messageOf(exception)})`,
        requestId: request.callRecord?.requestId,
      });
    } else if (error.kind === 'internal') {
      // With the call's x-request-id: its access log line and this one are found together.
      this.logger.error({
        msg: exception instanceof Error ? exception.stack : String(exception),
        requestId: request.callRecord?.requestId,
      });
    }
    const headers = hintHeaders(error);
    // A body still arriving will not be read: close the connection once the answer is out, so the
    // rest is neither received nor waited for.
    if (!request.raw.complete) closeAfterAnswer(request.raw, reply.raw);
    void reply.headers(headers).status(error.httpStatus).send(errorBody(request.url, error));
  }
}

/** Node's request stream failing because its connection closed mid-body (ECONNRESET "aborted"). */
function callerWentAway(exception: unknown, request: FastifyRequest): boolean {
  const code = (exception as { code?: unknown } | null)?.code;
  return (
    (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE') &&
    (request.raw.destroyed || !request.raw.complete)
  );
}

function messageOf(exception: unknown): string {
  return exception instanceof Error ? exception.message : String(exception);
}

/** `Retry-After` (whole seconds, rounded up) and any other headers the refusal carries. */
export function hintHeaders(error: GatewayError): Record<string, string> {
  const headers = { ...error.hints.headers };
  if (error.hints.retryAfterMs !== undefined) {
    headers['retry-after'] = String(Math.max(1, Math.ceil(error.hints.retryAfterMs / 1000)));
  }
  return headers;
}

export function errorBody(url: string, error: GatewayError): unknown {
  return url.startsWith('/v2')
    ? { error: error.message }
    : { error: { code: error.kind, message: error.message } };
}

/** Nest's own HTTP exceptions (404 for unknown routes, 503 from probes) in our vocabulary. */
function fromHttpException(exception: unknown): GatewayError | undefined {
  if (!(exception instanceof HttpException)) return undefined;
  const byStatus: Record<number, ErrorKind> = {
    404: 'not_found',
    413: 'payload_too_large',
    415: 'unsupported_media_type',
    429: 'resource_exhausted',
    503: 'unavailable',
  };
  const status = exception.getStatus();
  const kind = byStatus[status] ?? (status < 500 ? 'invalid_argument' : 'internal');
  return new GatewayError(kind, exception.message);
}

const FASTIFY_ERROR_KINDS: Record<string, ErrorKind> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_argument',
};

/** Errors Fastify raises while reading a request, before any controller runs. */
function fromFastifyError(exception: unknown): GatewayError | undefined {
  const code = (exception as { code?: unknown } | null)?.code;
  const statusCode = (exception as { statusCode?: unknown } | null)?.statusCode;
  if (typeof code !== 'string' || !code.startsWith('FST_')) return undefined;
  const kind =
    FASTIFY_ERROR_KINDS[code] ??
    (typeof statusCode === 'number' && statusCode < 500 ? 'invalid_argument' : 'internal');
  return new GatewayError(kind, (exception as Error).message);
}
