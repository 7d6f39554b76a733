import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { SecurityHeaders } from './security-headers';

/** What Node's HTTP parser refused, before any request object exists. */
export type ParserRefusal =
  /** The request line and headers did not arrive within the headers deadline. */
  | { kind: 'head-timeout' }
  /** The head arrived, the body did not arrive within the request deadline. */
  | { kind: 'body-timeout' }
  /** The request line and headers are over Node's --max-http-header-size. */
  | { kind: 'head-too-large' }
  /**
   * Not HTTP/1.1: llhttp's code (HPE_INVALID_METHOD, ...) and its reason, a fixed text
   * ("Invalid method encountered"), never the caller's bytes.
   */
  | { kind: 'malformed'; code: string; reason?: string };

/** The answer to a refusal: its status and JSON body, in the server's own error shape. */
export interface RawAnswer {
  status: number;
  body: string;
}

/**
 * Fastify's `clientErrorHandler`: what Node's parser refuses is answered like every other error
 * (the server's error shape from `answer`, the security headers), then the connection is closed.
 * Fastify's default answers in its own shape without the headers.
 */
export function parserRefusalHandler(
  answer: (refusal: ParserRefusal) => RawAnswer,
  headers: SecurityHeaders,
): (error: NodeJS.ErrnoException, socket: Duplex) => void {
  return (error, socket) => {
    // A connection reset has nobody to answer (as Fastify's default handler does).
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    if (socket.writable && !answerStarted(socket)) {
      socket.write(wireAnswer(answer(parserRefusal(error, socket)), headers));
    }
    socket.destroy();
  };
}

function parserRefusal(error: NodeJS.ErrnoException, socket: Duplex): ParserRefusal {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return inFlightResponse(socket) ? { kind: 'body-timeout' } : { kind: 'head-timeout' };
  }
  if (error.code === 'HPE_HEADER_OVERFLOW') return { kind: 'head-too-large' };
  const reason = (error as { reason?: unknown }).reason;
  return {
    kind: 'malformed',
    code: error.code ?? 'unknown',
    ...(typeof reason === 'string' ? { reason } : {}),
  };
}

/**
 * Node's in-flight response on the connection (`_httpMessage`, the internal Node's own handler
 * reads): present once the whole head arrived.
 */
function inFlightResponse(socket: Duplex): { headersSent?: boolean } | undefined {
  return (socket as { _httpMessage?: { headersSent?: boolean } | null })._httpMessage ?? undefined;
}

/** A second status line in a connection whose answer has started would corrupt what the caller reads. */
function answerStarted(socket: Duplex): boolean {
  return inFlightResponse(socket)?.headersSent === true;
}

function wireAnswer({ status, body }: RawAnswer, headers: SecurityHeaders): string {
  const fields = {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
  };
  const head = Object.entries(fields).map(([name, value]) => `${name}: ${value}\r\n`);
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${head.join('')}\r\n${body}`;
}
