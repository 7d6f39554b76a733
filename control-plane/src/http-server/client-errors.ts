import { parserRefusalHandler, type ParserRefusal, type SecurityHeaders } from '@http-edge';
import type { HttpLimits } from '../config/control-plane-config';
import { errorBody, type ErrorCode } from '../errors/control-plane-error';
import { ownsRequestDeadline } from './streamed-body';

/** Node's default limit on the request line and headers together (--max-http-header-size). */
const MAX_HEADER_BYTES = 16 * 1024;

type Limits = Pick<HttpLimits, 'headersTimeoutMs' | 'requestTimeoutMs'>;

/**
 * What Node's HTTP parser refuses before Fastify sees a request (a malformed request line,
 * headers over 16 KiB, a request that did not arrive within its deadline): Fastify's
 * `clientErrorHandler`, answered in the control plane's error shape with its security headers.
 * A streamed upload (streamed-body.ts) is left to its own, longer deadline.
 */
export function clientErrorHandler(
  limits: Limits,
  headers: SecurityHeaders,
): ReturnType<typeof parserRefusalHandler> {
  const refuse = parserRefusalHandler((refusal) => {
    const { status, code, message } = answerFor(refusal, limits);
    return { status, body: JSON.stringify(errorBody(code, message)) };
  }, headers);
  return (error, socket) => {
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT' && ownsRequestDeadline(socket)) return;
    refuse(error, socket);
  };
}

function answerFor(
  refusal: ParserRefusal,
  limits: Limits,
): { status: number; code: ErrorCode; message: string } {
  switch (refusal.kind) {
    case 'head-timeout':
    case 'body-timeout':
      return {
        status: 408,
        code: 'REQUEST_TIMEOUT',
        message:
          `the request did not arrive in time: headers within ${limits.headersTimeoutMs} ms ` +
          `(CONTROL_PLANE_HEADERS_TIMEOUT_MS), headers and body within ${limits.requestTimeoutMs} ms ` +
          '(CONTROL_PLANE_REQUEST_TIMEOUT_MS)',
      };
    case 'head-too-large':
      return {
        status: 431,
        code: 'REQUEST_HEADER_FIELDS_TOO_LARGE',
        message: `the request line and headers are larger than ${MAX_HEADER_BYTES / 1024} KiB`,
      };
    case 'malformed':
      // llhttp names what it found wrong (HPE_INVALID_METHOD, HPE_INVALID_CONTENT_LENGTH, ...).
      return {
        status: 400,
        code: 'BAD_REQUEST',
        message: `malformed HTTP request${refusal.code.startsWith('HPE_') ? ` (${refusal.code})` : ''}`,
      };
  }
}
