import { maxHeaderSize, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { Logger } from '@nestjs/common';
import type { ConnectionError } from 'fastify';
import { GatewayError } from '../errors/gateway-error';
import { truncated } from '../errors/quoted-value';
import { errorBody } from './http-error.filter';

const logger = new Logger('Http');

export interface ClientErrorSettings {
  /** Every security header an answer carries (security-headers.ts), as name → value. */
  securityHeaders: Readonly<Record<string, string>>;
  requestTimeoutMs: number;
  headersTimeoutMs: number;
}

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser refuses before any request exists (a
 * malformed request line or header, a head over 16 KiB, a head or body past its deadline), answered
 * like every other error: the gateway's JSON shape, the security headers, then the connection
 * closed. Fastify's default answers in its own shape without them.
 */
export function clientErrorHandler(settings: ClientErrorSettings) {
  return (error: ConnectionError, socket: Socket): void => {
    // A connection reset has nobody to answer (as Fastify's default handler does).
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const refusal = refusalOf(error, socket, settings);
    logger.debug(`client error ${error.code}: ${refusal.message}`);
    if (socket.writable && !answerStarted(socket)) socket.write(rawAnswer(refusal, settings));
    socket.destroy(error);
  };
}

/**
 * Whether an answer already started on the connection (Node's in-flight response, `_httpMessage`,
 * has sent its head): writing another one into it would corrupt what the caller reads. Node's own
 * handler makes the same check.
 */
function answerStarted(socket: Socket): boolean {
  const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  return inFlight?.headersSent === true;
}

/** An in-flight response on the socket means Node had the whole head: a body came too slowly. */
function headComplete(socket: Socket): boolean {
  return Boolean((socket as { _httpMessage?: unknown })._httpMessage);
}

function refusalOf(
  error: ConnectionError,
  socket: Socket,
  settings: ClientErrorSettings,
): GatewayError {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new GatewayError(
      'request_timeout',
      headComplete(socket)
        ? `the request did not arrive within GATEWAY_HTTP_REQUEST_TIMEOUT_MS (${settings.requestTimeoutMs} ms)`
        : `the request head did not arrive within GATEWAY_HTTP_HEADERS_TIMEOUT_MS (${settings.headersTimeoutMs} ms)`,
    );
  }
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    return new GatewayError(
      'headers_too_large',
      `the request head (request line and headers) is over ${maxHeaderSize} bytes`,
    );
  }
  // llhttp's reasons are fixed texts ("Invalid method encountered"), never the caller's bytes.
  const reason = (error as { reason?: unknown }).reason;
  return new GatewayError(
    'invalid_argument',
    `the request is not valid HTTP/1.1 (${error.code}${typeof reason === 'string' ? `: ${truncated(reason, 100)}` : ''})`,
  );
}

/** The whole answer as bytes on the wire: no request URL is known, so the non-KServe shape. */
function rawAnswer(refusal: GatewayError, settings: ClientErrorSettings): string {
  const body = JSON.stringify(errorBody('', refusal));
  const headers = {
    ...settings.securityHeaders,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
  };
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return `HTTP/1.1 ${refusal.httpStatus} ${STATUS_CODES[refusal.httpStatus]}\r\n${head.join('')}\r\n${body}`;
}
