/**
 * The one error shape of every answer the control plane refuses or fails, GraphQL or not:
 * `{"errors":[{"message": ..., "extensions": {"code": ...}}]}`, as GraphQL clients already read it.
 * Codes follow the usual GraphQL server vocabulary (GRAPHQL_PARSE_FAILED, BAD_USER_INPUT, ...) and
 * name the HTTP refusal for answers that never reached GraphQL.
 */
export const ERROR_CODES = [
  // Refused by HTTP, before GraphQL saw the request.
  'BAD_REQUEST',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'REQUEST_TIMEOUT',
  'LENGTH_REQUIRED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'REQUEST_HEADER_FIELDS_TOO_LARGE',
  // Too many failed credential checks from this address or for this key: retry later.
  'TOO_MANY_REQUESTS',
  'SERVICE_UNAVAILABLE',
  // Refused by GraphQL before execution.
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'INTROSPECTION_DISABLED',
  'QUERY_TOO_LARGE',
  'QUERY_TOO_DEEP',
  'QUERY_TOO_COMPLEX',
  // Found during execution.
  'BAD_USER_INPUT',
  // The change conflicts with the current state (a version being registered, an alias moved meanwhile).
  'CONFLICT',
  // An upstream the control plane depends on (MLflow, a backend) cannot be reached, or refused.
  'UPSTREAM_UNAVAILABLE',
  'UPSTREAM_ERROR',
  'DATABASE_UNAVAILABLE',
  'DATABASE_ERROR',
  'INTERNAL_SERVER_ERROR',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const KNOWN_CODES: ReadonlySet<unknown> = new Set(ERROR_CODES);

export function isErrorCode(value: unknown): value is ErrorCode {
  return KNOWN_CODES.has(value);
}

export interface ErrorEntry {
  message: string;
  extensions: { code: ErrorCode } & Record<string, unknown>;
}

export interface ErrorBody {
  errors: ErrorEntry[];
}

export function errorBody(
  code: ErrorCode,
  message: string,
  extensions: Record<string, unknown> = {},
): ErrorBody {
  return { errors: [{ message: boundedMessage(message), extensions: { ...extensions, code } }] };
}

const CODE_BY_HTTP_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  408: 'REQUEST_TIMEOUT',
  411: 'LENGTH_REQUIRED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  409: 'CONFLICT',
  431: 'REQUEST_HEADER_FIELDS_TOO_LARGE',
  429: 'TOO_MANY_REQUESTS',
  503: 'SERVICE_UNAVAILABLE',
};

/** The code of an HTTP refusal by its status (Fastify's and Nest's own errors carry only a status). */
export function codeForHttpStatus(status: number): ErrorCode {
  return CODE_BY_HTTP_STATUS[status] ?? (status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST');
}

const HTTP_STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  ...Object.fromEntries(
    Object.entries(CODE_BY_HTTP_STATUS).map(([status, code]) => [code, +status]),
  ),
  BAD_USER_INPUT: 400,
  UPSTREAM_UNAVAILABLE: 503,
  UPSTREAM_ERROR: 502,
  DATABASE_UNAVAILABLE: 503,
};

/** The HTTP status of an answer that carries `code` (REST routes; GraphQL answers 200 after execution). */
export function httpStatusFor(code: ErrorCode): number {
  return HTTP_STATUS_BY_CODE[code] ?? 500;
}

/** Caller text as an error message may show it: at most `max` characters, saying how long it was. */
export function shown(text: string, max = 64): string {
  if (text.length <= max) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, max))}… (${text.length} characters)`;
}

/** Longest message an error answer carries; longer ones (quoting caller input) are cut. */
export const MAX_ERROR_MESSAGE_LENGTH = 300;

export function boundedMessage(message: string): string {
  if (message.length <= MAX_ERROR_MESSAGE_LENGTH) return message;
  return `${message.slice(0, MAX_ERROR_MESSAGE_LENGTH)}… (message cut from ${message.length} characters)`;
}

/**
 * What a service throws when it refuses or cannot do what was asked: a code from the vocabulary and
 * a message naming what was wrong. GraphQL and HTTP answers carry both as they are; services need
 * know nothing of either.
 */
export class ControlPlaneFailure extends Error {
  override readonly name = 'ControlPlaneFailure';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(boundedMessage(message));
  }
}
