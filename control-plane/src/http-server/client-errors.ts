import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorBody, type ErrorCode } from '../errors/control-plane-error';
import type { HttpLimits } from '../config/control-plane-config';
import type { SecurityHeaders } from './security-headers';

/** Node's default limit on the request line and headers together (--max-http-header-size). */
const MAX_HEADER_BYTES = 16 * 1024;

interface Refusal {
  status: number;
  code: ErrorCode;
  message: string;
}

/**
 * What Node's HTTP parser refuses before Fastify sees a request (a malformed request line,
 * headers over 16 KiB, a request that did not arrive within its deadline): Fastify's `clientErrorHandler`,
 * answered in the control plane's error shape and with its security headers, then the connection
 * is closed, as Node itself does.
 */
export function clientErrorHandler(
  limits: Pick<HttpLimits, 'headersTimeoutMs' | 'requestTimeoutMs'>,
  headers: SecurityHeaders,
): (error: NodeJS.ErrnoException, socket: Duplex) => void {
  return (error, socket) => {
    // A connection reset has nobody to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    if (socket.writable && !responseStarted(socket)) {
      socket.write(rawResponse(refusalFor(error, limits), headers));
    }
    socket.destroy();
  };
}

function refusalFor(
  error: NodeJS.ErrnoException,
  limits: Pick<HttpLimits, 'headersTimeoutMs' | 'requestTimeoutMs'>,
): Refusal {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return {
      status: 408,
      code: 'REQUEST_TIMEOUT',
      message:
        `the request did not arrive in time: headers within ${limits.headersTimeoutMs} ms ` +
        `(CONTROL_PLANE_HEADERS_TIMEOUT_MS), headers and body within ${limits.requestTimeoutMs} ms ` +
        '(CONTROL_PLANE_REQUEST_TIMEOUT_MS)',
    };
  }
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    return {
      status: 431,
      code: 'REQUEST_HEADER_FIELDS_TOO_LARGE',
      message: `the request line and headers are larger than ${MAX_HEADER_BYTES / 1024} KiB`,
    };
  }
  // llhttp names what it found wrong (HPE_INVALID_METHOD, HPE_INVALID_CONTENT_LENGTH, ...).
  const reason = error.code?.startsWith('HPE_') ? ` (${error.code})` : '';
  return { status: 400, code: 'BAD_REQUEST', message: `malformed HTTP request${reason}` };
}

function rawResponse(refusal: Refusal, headers: SecurityHeaders): string {
  const body = JSON.stringify(errorBody(refusal.code, refusal.message));
  const lines = [
    `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}`,
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(body)}`,
    'connection: close',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** Whether an answer already went out on this connection (a second status line would corrupt it). */
function responseStarted(socket: Duplex): boolean {
  // Node's own clientError default checks the same internal: the response attached to the socket.
  const response = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } | null })
    ._httpMessage;
  return response?.headersSent === true;
}
