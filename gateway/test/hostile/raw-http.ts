/**
 * HTTP/1.1 over a bare TCP socket, for what fetch() cannot send: a body that stops half-way, a
 * request line or headers Node's own client refuses to write, a header sent twice. The answer is
 * read as the server wrote it (status, headers, body), and when the server closed the connection.
 */
import { connect, type Socket } from 'node:net';
import type { HttpOutcome } from '../malformed-input/http-outcome';

export interface RawConnection {
  socket: Socket;
  /** The first answer the server wrote; undefined when it closed the connection without one. */
  answer: Promise<HttpOutcome | undefined>;
  /** Milliseconds from connecting until the connection closed (by either side). */
  closed: Promise<number>;
}

/** Opens a connection to `httpUrl`'s host and port and writes `head` (request line + headers). */
export async function openRaw(
  httpUrl: string,
  head: string,
  path = head.split(' ')[1] ?? '',
): Promise<RawConnection> {
  const { hostname, port } = new URL(httpUrl);
  const socket = connect({ host: hostname, port: Number(port) });
  const opened = performance.now();
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  // Writes after the server closed fail with EPIPE/ECONNRESET: that is an outcome, not a failure.
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) =>
    socket.once('close', () => resolve(performance.now() - opened)),
  );
  const answer = readAnswer(socket, path);
  socket.write(head);
  return { socket, answer, closed };
}

/** A request head: request line, `host`, the given header lines, the empty line. */
export function requestHead(
  method: string,
  path: string,
  headers: readonly (readonly [string, string])[],
): string {
  const lines = [
    `${method} ${path} HTTP/1.1`,
    'host: gateway',
    ...headers.map(([k, v]) => `${k}: ${v}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/**
 * Writes `bytes` bytes of body (zeros, in 1 MiB chunks, minding backpressure); resolves with the
 * number written once all are with the kernel or the connection closed.
 */
export async function writeBody(socket: Socket, bytes: number): Promise<number> {
  const chunk = Buffer.alloc(Math.min(bytes, 1024 * 1024));
  let written = 0;
  while (written < bytes && !socket.destroyed && socket.writable) {
    const piece = chunk.subarray(0, Math.min(chunk.length, bytes - written));
    const flushed = socket.write(piece);
    written += piece.length;
    if (!flushed) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          socket.off('drain', done);
          socket.off('close', done);
          resolve();
        };
        socket.once('drain', done);
        socket.once('close', done);
      });
    }
  }
  return written;
}

/** Parses the first answer on `socket`: resolves once its body is complete or the socket closed. */
function readAnswer(socket: Socket, path: string): Promise<HttpOutcome | undefined> {
  return new Promise((resolve) => {
    let received = Buffer.alloc(0);
    let settled = false;
    const settle = (outcome: HttpOutcome | undefined): void => {
      if (settled) return;
      settled = true;
      socket.off('data', onData);
      resolve(outcome);
    };
    const parse = (final: boolean): void => {
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) {
        if (final) settle(undefined);
        return;
      }
      const [statusLine, ...lines] = received.subarray(0, end).toString('latin1').split('\r\n');
      const headers = new Headers();
      for (const line of lines) {
        const colon = line.indexOf(':');
        if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
      }
      const length = Number(headers.get('content-length') ?? NaN);
      const body = received.subarray(end + 4);
      if (!final && (Number.isNaN(length) || body.length < length)) return;
      settle({
        path,
        status: Number(statusLine.split(' ')[1]),
        headers,
        body: Number.isNaN(length) ? body : body.subarray(0, length),
      });
    };
    const onData = (data: Buffer): void => {
      received = Buffer.concat([received, data]);
      parse(false);
    };
    socket.on('data', onData);
    socket.once('close', () => parse(true));
  });
}

/** Resolves with `promise`'s value, or with `fallback` after `ms`. */
export function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(fallback), ms);
    void promise.then((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}
