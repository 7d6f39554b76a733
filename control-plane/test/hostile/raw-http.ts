import { TEST_ADMIN_KEY } from '../support/test-credentials';
import { connect, type Socket } from 'node:net';

/** An HTTP answer as read off the socket. */
export interface RawAnswer {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: string;
  /** Milliseconds from the first byte sent to the answer being complete. */
  elapsedMs: number;
  /** Whether the server closed the connection after answering. */
  closedByServer: boolean;
}

/**
 * A connection the test drives byte by byte: what a browser or `fetch` never sends (a malformed
 * request line, a body that never ends, a body sent only after its headers were answered).
 */
export class RawConnection {
  private received = Buffer.alloc(0);
  private closed = false;
  private readonly started = performance.now();
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.wake();
    });
    // A reset after the answer is how some refusals end; the answer read so far stands.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  static open(host: string, port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host);
      socket.once('connect', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  write(data: string | Buffer): void {
    if (!this.socket.destroyed) this.socket.write(data);
  }

  /** Whether the server has closed the connection (or it was reset). */
  get isClosed(): boolean {
    return this.closed;
  }

  /** The first complete answer, or undefined if none came within `timeoutMs`. */
  async answer(timeoutMs: number): Promise<RawAnswer | undefined> {
    const deadline = performance.now() + timeoutMs;
    let parsed = parseAnswer(this.received);
    while (parsed === undefined && !this.closed && performance.now() < deadline) {
      await this.nextEvent(deadline - performance.now());
      parsed = parseAnswer(this.received);
    }
    if (parsed === undefined) return undefined;
    const elapsedMs = performance.now() - this.started;
    // A refusal that closes the connection closes it right after the answer.
    const closeBy = performance.now() + 1000;
    while (parsed.closes && !this.closed && performance.now() < closeBy) {
      await this.nextEvent(closeBy - performance.now());
    }
    return { ...parsed.answer, elapsedMs, closedByServer: this.closed };
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Resolves at the next byte or close, or after `timeoutMs`. */
  private nextEvent(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      this.waiters.add(done);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  private wake(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const waiter of waiters) waiter();
  }
}

function parseAnswer(
  bytes: Buffer,
): { answer: Omit<RawAnswer, 'elapsedMs' | 'closedByServer'>; closes: boolean } | undefined {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers['content-length'] ?? 0);
  if (bytes.length < end + 4 + length) return undefined;
  return {
    answer: {
      status: Number(statusLine.split(' ')[1]),
      headers,
      body: bytes.subarray(end + 4, end + 4 + length).toString('utf8'),
    },
    closes: headers.connection?.toLowerCase() === 'close',
  };
}

/** The request line and headers of a JSON POST announcing `contentLength` body bytes. */
export function jsonPostHead(path: string, contentLength: number): string {
  return (
    `POST ${path} HTTP/1.1\r\nHost: control-plane\r\nContent-Type: application/json\r\n` +
    `X-Api-Key: ${TEST_ADMIN_KEY}\r\n` +
    `Content-Length: ${contentLength}\r\n\r\n`
  );
}
