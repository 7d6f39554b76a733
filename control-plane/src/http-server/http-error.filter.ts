import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  Logger,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  codeForHttpStatus,
  ControlPlaneFailure,
  errorBody,
  type ErrorBody,
  httpStatusFor,
  shown,
} from '../errors/control-plane-error';

/**
 * Every error of a Nest route (and Nest's 404 for unknown paths) in the control plane's one error
 * shape. GraphQL errors are not HTTP errors: mercurius formats them (graphql-error-formatter.ts).
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    // Resolvers: the error goes on to GraphQL, which puts it in `errors` with its path.
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    // The request stream itself ends (and is destroyed) once its body is read; the socket says
    // whether anyone is left to answer.
    const socket = reply.raw.socket;
    if (socket === null || socket.destroyed) {
      this.logger.debug?.(`${request.method} ${request.url}: the caller went away`);
      return;
    }
    const { status, body } = this.answerFor(exception, request);
    void reply.code(status).send(body);
  }

  private answerFor(exception: unknown, request: FastifyRequest): { status: number; body: object } {
    if (exception instanceof ControlPlaneFailure) {
      return {
        status: httpStatusFor(exception.code),
        body: errorBody(exception.code, exception.message, exception.extensions),
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      if (isErrorBody(response)) return { status, body: response };
      if (status === 404) {
        return {
          status,
          body: errorBody('NOT_FOUND', `no route ${request.method} ${shown(request.url)}`),
        };
      }
      return { status, body: errorBody(codeForHttpStatus(status), exception.message) };
    }
    // Fastify's own refusals (a body that is not JSON, ...) carry a 4xx statusCode.
    const status = (exception as { statusCode?: unknown } | undefined)?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500 && exception instanceof Error) {
      return { status, body: errorBody(codeForHttpStatus(status), exception.message) };
    }
    this.logger.error(
      `${request.method} ${request.routeOptions.url ?? 'unmatched route'} failed`,
      exception instanceof Error ? exception.stack : String(exception),
    );
    return { status: 500, body: errorBody('INTERNAL_SERVER_ERROR', 'internal error') };
  }
}

function isErrorBody(response: unknown): response is ErrorBody {
  return (
    typeof response === 'object' &&
    response !== null &&
    Array.isArray((response as Partial<ErrorBody>).errors)
  );
}
