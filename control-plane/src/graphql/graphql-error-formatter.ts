import { HttpException, Logger } from '@nestjs/common';
import { GraphQLError, type ExecutionResult, type GraphQLFormattedError } from 'graphql';
import type { MercuriusContext } from 'mercurius';
import { classifyDatabaseError, describeDatabaseError } from '../database/database-errors';
import {
  boundedMessage,
  codeForHttpStatus,
  ControlPlaneFailure,
  isErrorCode,
  type ErrorCode,
  type ErrorEntry,
} from '../errors/control-plane-error';

type FormattedEntry = ErrorEntry & Pick<GraphQLFormattedError, 'locations' | 'path'>;

/** HTTP status of a request refused before execution, by its (first) error's code; 400 otherwise. */
const REQUEST_STATUS: Partial<Record<ErrorCode, number>> = {
  METHOD_NOT_ALLOWED: 405,
  REQUEST_TIMEOUT: 408,
  LENGTH_REQUIRED: 411,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  SERVICE_UNAVAILABLE: 503,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  DATABASE_UNAVAILABLE: 503,
  DATABASE_ERROR: 500,
  INTERNAL_SERVER_ERROR: 500,
};

/** graphql-js' message when the parser stops at `maxTokens` ("more that" sic, in graphql 16). */
const TOKEN_LIMIT = /Document contains more tha[nt] (\d+) tokens/;

/**
 * mercurius' errorFormatter: every error of /graphql, whether refused before execution (body,
 * syntax, validation, limits) or raised by a resolver, leaves as `{message, extensions: {code}}`.
 * Database and unexpected errors get a stable message; their detail (driver text that may quote the
 * caller's argument, stacks) goes to the log only. Refusals answer their HTTP status without `data`;
 * execution errors answer 200 next to `data`, as GraphQL over HTTP has it for application/json.
 */
export function graphqlErrorFormatter(logger: Logger = new Logger('GraphQL')) {
  return (
    execution: ExecutionResult & Required<Pick<ExecutionResult, 'errors'>>,
    context: MercuriusContext,
  ): {
    statusCode: number;
    response: { data?: ExecutionResult['data']; errors: FormattedEntry[] };
  } => {
    const where = describeRequest(context);
    const errors = execution.errors
      .flatMap(unwrapMercuriusError)
      .map((error) => formatError(error, logger, where));
    if (execution.data === undefined) {
      const [first] = errors;
      return {
        statusCode: (first && REQUEST_STATUS[first.extensions.code]) ?? 400,
        response: { errors },
      };
    }
    return { statusCode: 200, response: { data: execution.data, errors } };
  };
}

/** mercurius wraps parse, validation and variable errors in one error holding them in `errors`. */
function unwrapMercuriusError(error: GraphQLError): unknown[] {
  const inner = (error.originalError as { errors?: unknown } | undefined)?.errors;
  return Array.isArray(inner) && inner.length > 0 ? inner : [error];
}

function formatError(error: unknown, logger: Logger, where: string): FormattedEntry {
  const graphqlError = error instanceof GraphQLError ? error : undefined;
  const cause = graphqlError ? (graphqlError.originalError ?? undefined) : error;
  const position = {
    ...(graphqlError?.locations ? { locations: graphqlError.locations } : {}),
    ...(graphqlError?.path ? { path: graphqlError.path } : {}),
  };
  const entry = (code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) => ({
    message: boundedMessage(message),
    ...position,
    extensions: { ...extensions, code },
  });

  // Raised by the control plane itself (limits, argument checks): already typed.
  if (graphqlError !== undefined && isErrorCode(graphqlError.extensions.code)) {
    return entry(graphqlError.extensions.code, graphqlError.message, graphqlError.extensions);
  }
  if (cause instanceof ControlPlaneFailure) {
    return entry(cause.code, cause.message, cause.extensions);
  }
  const databaseFailure = classifyDatabaseError(cause);
  if (databaseFailure !== undefined) {
    logger.error(`${where}${describePath(position.path)}: ${describeDatabaseError(cause)}`);
    return databaseFailure === 'unavailable'
      ? entry('DATABASE_UNAVAILABLE', 'the registry database is unavailable; retry later')
      : entry('DATABASE_ERROR', 'the registry database could not answer this request');
  }
  // A Nest exception a resolver or pipe threw (NotFoundException, ...): its status says what it is.
  if (cause instanceof HttpException && cause.getStatus() < 500) {
    return entry(codeForHttpStatus(cause.getStatus()), cause.message);
  }
  const status = (cause as { statusCode?: unknown } | undefined)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500 && cause instanceof Error) {
    // Fastify's and mercurius' refusals of the HTTP request: a body that is not JSON, ...
    return entry(codeForHttpStatus(status), cause.message);
  }
  if (graphqlError === undefined && error instanceof Error && 'validationContext' in error) {
    // The route's JSON schema: `query` must be a string, `variables` an object, ...
    return entry('BAD_REQUEST', `the request body is not a GraphQL request: ${error.message}`);
  }
  // graphql-js' own parse, validation and variable errors: before execution, so without a path
  // (a variable's coercion error keeps the scalar's GraphQLError as its cause).
  if (
    graphqlError !== undefined &&
    graphqlError.path === undefined &&
    (cause === undefined || cause instanceof GraphQLError)
  ) {
    return entry(...requestErrorCode(graphqlError.message));
  }
  logger.error(
    `${where}${describePath(position.path)} failed`,
    cause instanceof Error ? cause.stack : String(cause),
  );
  return entry('INTERNAL_SERVER_ERROR', 'internal error');
}

/** Parse and validation errors of graphql-js, which carry no code of their own. */
function requestErrorCode(message: string): [ErrorCode, string] {
  const tokens = TOKEN_LIMIT.exec(message);
  if (tokens) {
    return [
      'QUERY_TOO_LARGE',
      `the query has more than ${tokens[1]} tokens (CONTROL_PLANE_GRAPHQL_MAX_TOKENS); parsing stopped there`,
    ];
  }
  if (message.startsWith('Syntax Error')) return ['GRAPHQL_PARSE_FAILED', message];
  // OverlappingFieldsCanBeMerged gives up on documents that would take it too long to compare.
  if (message === 'Validation aborted.') {
    return [
      'QUERY_TOO_COMPLEX',
      'the query repeats fields or fragments too often to be validated; select each field once',
    ];
  }
  if (message.startsWith('Variable "$')) return ['BAD_USER_INPUT', message];
  return ['GRAPHQL_VALIDATION_FAILED', message];
}

function describeRequest(context: MercuriusContext | undefined): string {
  const request = context?.reply?.request;
  return request === undefined ? 'GraphQL' : `${request.method} ${request.routeOptions.url}`;
}

function describePath(path: readonly (string | number)[] | undefined): string {
  return path === undefined ? '' : ` ${path.join('.')}`;
}
