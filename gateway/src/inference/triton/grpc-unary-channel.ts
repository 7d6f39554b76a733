import {
  connect,
  constants,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http2';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { rememberGrpcFrame } from '@contracts/grpc/encoded-message';
import { GrpcMessageReader } from './grpc-message-reader';

export interface GrpcUnaryChannelOptions {
  /** Largest answer accepted: its length prefix is checked before any of it is gathered. */
  maxMessageBytes: number;
  /** How long a connection suspected dead (a call ran past its deadline) has to answer a ping. */
  pingTimeoutMs?: number;
}

export interface UnaryCallTerms {
  /** Milliseconds since the epoch; sent as `grpc-timeout` and enforced here. */
  deadline: number;
  signal?: AbortSignal;
  /** Sent as headers (ASCII metadata). */
  metadata?: Readonly<Record<string, string>>;
}

const { NGHTTP2_CANCEL, NGHTTP2_REFUSED_STREAM, NGHTTP2_ENHANCE_YOUR_CALM } = constants;
const USER_AGENT = 'triton-cv-gateway';
const DEFAULT_PING_TIMEOUT_MS = 5000;

/**
 * gRPC unary calls over one reused node:http2 session, for the call whose messages are megabytes:
 * ModelInfer. grpc-js copies every message it sends into one framed buffer and drives each call
 * through several layers of call objects; here the message's parts (a small header, then each
 * tensor's bytes where they already are) go to the stream as they are, and an answer that arrives
 * in one DATA chunk is not copied. What that saves is measured in
 * load-tests/triton-overhead/README.md. Every other Triton call stays on grpc-js.
 *
 * Plain-text HTTP/2 only, as the grpc-js channel it sits beside. No keepalive pings: every call has
 * a deadline, and the endpoint pool's health checks find a dead server.
 */
export class GrpcUnaryChannel {
  private session?: ClientHttp2Session;
  /** Sessions with a liveness ping in flight. */
  private readonly probing = new WeakSet<ClientHttp2Session>();

  constructor(
    readonly address: string,
    private readonly options: GrpcUnaryChannelOptions,
  ) {}

  /**
   * Sends one message made of `parts` to `path`; resolves with the answer's message bytes, whose
   * whole frame is remembered (rememberGrpcFrame) so a server can send it on without a copy.
   */
  call(path: string, parts: readonly Uint8Array[], terms: UnaryCallTerms): Promise<Buffer> {
    return this.send(path, parts, terms, false);
  }

  /**
   * One attempt; a stream refused with ENHANCE_YOUR_CALM before any answer (the server did not
   * take the call) is sent once more, on a new connection.
   */
  private send(
    path: string,
    parts: readonly Uint8Array[],
    terms: UnaryCallTerms,
    retried: boolean,
  ): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (terms.signal?.aborted) {
        reject(serviceError(status.CANCELLED, `call to ${this.address} cancelled by the caller`));
        return;
      }
      const left = terms.deadline - Date.now();
      if (left <= 0) {
        reject(serviceError(status.DEADLINE_EXCEEDED, 'Deadline exceeded before the call started'));
        return;
      }
      let session: ClientHttp2Session;
      let stream: ClientHttp2Stream;
      try {
        session = this.connected();
        stream = session.request(requestHeaders(path, left, terms.metadata));
      } catch (error) {
        reject(serviceError(status.UNAVAILABLE, (error as Error).message));
        return;
      }
      const { maxMessageBytes } = this.options;
      const call = new UnaryCall(stream, this.address, maxMessageBytes, left, terms.signal);
      call.settled.then(resolve, (error: ServiceError) => {
        const refused = stream.rstCode === NGHTTP2_ENHANCE_YOUR_CALM && !call.answered;
        this.afterFailure(session, stream, error);
        if (refused && !retried) resolve(this.send(path, parts, terms, true));
        else reject(error);
      });
      stream.cork();
      stream.write(messagePrefix(parts));
      for (const part of parts) stream.write(part);
      stream.end();
      stream.uncork();
    });
  }

  close(): void {
    this.session?.close();
    this.session = undefined;
  }

  /**
   * A stream refused with ENHANCE_YOUR_CALM says the connection is in trouble (Triton's gRPC server
   * kept refusing every stream on one after a freeze; under heavy load it refuses single ones):
   * new calls go to a new one. A call past its deadline may mean the connection itself is dead (no
   * reset, no close, as after a network partition): a ping that is not answered in time drops it.
   */
  private afterFailure(
    session: ClientHttp2Session,
    stream: ClientHttp2Stream,
    error: ServiceError,
  ): void {
    if (stream.rstCode === NGHTTP2_ENHANCE_YOUR_CALM) {
      this.retire(session);
    } else if (error.code === status.DEADLINE_EXCEEDED) {
      this.probe(session);
    }
  }

  private retire(session: ClientHttp2Session): void {
    if (this.session === session) this.session = undefined;
    if (!session.closed) session.close();
  }

  private probe(session: ClientHttp2Session): void {
    if (this.probing.has(session) || session.closed || session.destroyed || session.connecting) {
      return;
    }
    this.probing.add(session);
    const timeoutMs = this.options.pingTimeoutMs ?? DEFAULT_PING_TIMEOUT_MS;
    const timer = setTimeout(() => {
      if (this.session === session) this.session = undefined;
      session.destroy(new Error(`no answer to a ping within ${timeoutMs} ms`));
    }, timeoutMs);
    timer.unref();
    const answered = (error: Error | null): void => {
      clearTimeout(timer);
      this.probing.delete(session);
      if (error) this.retire(session);
    };
    if (!session.ping(answered)) answered(new Error('ping not sent'));
  }

  /** The open session, or a new one when there is none or the server is going away. */
  private connected(): ClientHttp2Session {
    const current = this.session;
    if (current && !current.closed && !current.destroyed) return current;
    const session = connect(`http://${this.address}`, {
      // A window as large as the largest message: Triton sends a 2 MB answer in one go instead
      // of waiting for ~30 window updates of HTTP/2's default 64 KiB.
      settings: { initialWindowSize: this.options.maxMessageBytes, enablePush: false },
    });
    session.on('connect', () => session.setLocalWindowSize(this.options.maxMessageBytes));
    // Failures reach the calls through their streams; an idle session's own error needs no one.
    session.on('error', () => {});
    const forget = (): void => {
      if (this.session === session) this.session = undefined;
    };
    session.on('goaway', forget);
    session.on('close', forget);
    // An idle connection to Triton must not keep the process alive; calls keep their own timers.
    session.unref();
    this.session = session;
    return session;
  }
}

/** One call's answer: its headers, one length-prefixed message, its trailers or reset. */
class UnaryCall {
  readonly settled: Promise<Buffer>;
  /** Whether the server sent response headers (it took the call). */
  answered = false;
  private resolve!: (message: Buffer) => void;
  private reject!: (error: ServiceError) => void;
  private done = false;
  private readonly reader: GrpcMessageReader;
  private readonly timer: NodeJS.Timeout;
  private readonly detach: () => void;

  constructor(
    private readonly stream: ClientHttp2Stream,
    private readonly address: string,
    maxMessageBytes: number,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ) {
    this.settled = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.reader = new GrpcMessageReader(maxMessageBytes);
    this.timer = setTimeout(
      () => this.cancel(status.DEADLINE_EXCEEDED, 'Deadline exceeded'),
      timeoutMs,
    );
    this.detach = onAbort(signal, () =>
      this.cancel(status.CANCELLED, `call to ${this.address} cancelled by the caller`),
    );
    stream.on('response', (headers) => this.onHeaders(headers));
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('trailers', (trailers: IncomingHttpHeaders) => this.onTrailers(trailers));
    // A stream error without gRPC status: the connection failed or was reset.
    stream.on('error', (error: Error) => this.onTransportEnd(error.message));
    stream.on('close', () => this.onTransportEnd());
  }

  private onHeaders(headers: IncomingHttpHeaders): void {
    this.answered = true;
    const httpStatus = Number(headers[':status']);
    if (headers['grpc-status'] !== undefined) {
      this.onTrailers(headers); // trailers-only: an error answered before any message
    } else if (httpStatus !== 200) {
      this.cancel(statusOfHttp(httpStatus), `HTTP status ${httpStatus} from ${this.address}`);
    } else if (!String(headers['content-type'] ?? '').startsWith('application/grpc')) {
      this.cancel(status.UNKNOWN, `${this.address} answered ${String(headers['content-type'])}`);
    }
  }

  private onData(chunk: Buffer): void {
    if (this.done) return;
    const problem = this.reader.push(chunk);
    if (problem) this.cancel(problem.code, problem.details);
  }

  private onTrailers(trailers: IncomingHttpHeaders): void {
    if (this.done) return;
    const code = statusOf(trailers['grpc-status']);
    if (code !== status.OK) {
      this.finish(serviceError(code, grpcMessageOf(trailers['grpc-message']), trailers));
      return;
    }
    const frame = this.reader.frame();
    if (!frame) {
      this.finish(serviceError(status.INTERNAL, `${this.address} answered no whole message`));
      return;
    }
    const message = frame.subarray(5);
    rememberGrpcFrame(message, frame);
    this.finish(message);
  }

  private onTransportEnd(reason?: string): void {
    if (this.done) return;
    const { rstCode, session } = this.stream;
    // Streams of a connection that went away close with a code too (CANCEL or NO_ERROR): what
    // failed is the connection.
    const connectionLost = !session || session.destroyed || session.closed;
    if (rstCode === NGHTTP2_REFUSED_STREAM) {
      this.finish(serviceError(status.UNAVAILABLE, `${this.address} refused the stream`));
    } else if (rstCode === NGHTTP2_CANCEL && !connectionLost) {
      this.finish(serviceError(status.CANCELLED, `${this.address} cancelled the call`));
    } else if (rstCode === NGHTTP2_ENHANCE_YOUR_CALM) {
      const details = `stream to ${this.address} refused with ENHANCE_YOUR_CALM`;
      this.finish(serviceError(status.RESOURCE_EXHAUSTED, details));
    } else {
      const why =
        reason ??
        (connectionLost ? 'connection lost' : `stream closed without a status (code ${rstCode})`);
      this.finish(serviceError(status.UNAVAILABLE, `connection to ${this.address}: ${why}`));
    }
  }

  /** Ends the call with `code` and resets the stream, so the server stops working on it. */
  private cancel(code: status, details: string): void {
    if (this.done) return;
    this.finish(serviceError(code, details));
    if (!this.stream.closed) this.stream.close(NGHTTP2_CANCEL);
  }

  private finish(outcome: Buffer | ServiceError): void {
    this.done = true;
    clearTimeout(this.timer);
    this.detach();
    if (Buffer.isBuffer(outcome)) this.resolve(outcome);
    else this.reject(outcome);
  }
}

function requestHeaders(
  path: string,
  timeoutMs: number,
  metadata: Readonly<Record<string, string>> = {},
): OutgoingHttpHeaders {
  // gRPC over HTTP/2's order: the call definition, then custom metadata.
  return {
    ':method': 'POST',
    ':path': path,
    'content-type': 'application/grpc',
    te: 'trailers',
    'grpc-timeout': grpcTimeout(timeoutMs),
    'user-agent': USER_AGENT,
    ...metadata,
  };
}

/** gRPC's timeout header: at most 8 digits and a unit. */
function grpcTimeout(ms: number): string {
  const whole = Math.max(1, Math.ceil(ms));
  return whole < 1e8 ? `${whole}m` : `${Math.min(Math.ceil(whole / 1000), 99_999_999)}S`;
}

/** The 5 bytes before a gRPC message: not compressed, then its length. */
function messagePrefix(parts: readonly Uint8Array[]): Buffer {
  const length = parts.reduce((sum, part) => sum + part.byteLength, 0);
  const prefix = Buffer.allocUnsafe(5);
  prefix.writeUInt8(0, 0);
  prefix.writeUInt32BE(length, 1);
  return prefix;
}

/** A grpc-status header as a status; anything but a known code is UNKNOWN (as grpc-js reads it). */
function statusOf(header: string | string[] | undefined): status {
  const code = Number(header);
  return Number.isInteger(code) && status[code] !== undefined ? code : status.UNKNOWN;
}

/** grpc-message is percent-encoded; a malformed one is shown as it came. */
function grpcMessageOf(header: string | string[] | undefined): string {
  const text = String(header ?? '');
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The gRPC status for an HTTP status that is not 200 (gRPC's HTTP-to-status mapping). */
function statusOfHttp(httpStatus: number): status {
  switch (httpStatus) {
    case 400:
      return status.INTERNAL;
    case 401:
      return status.UNAUTHENTICATED;
    case 403:
      return status.PERMISSION_DENIED;
    case 404:
      return status.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return status.UNAVAILABLE;
    default:
      return status.UNKNOWN;
  }
}

/** An error shaped as grpc-js reports one, so the rest of the gateway reads both alike. */
export function serviceError(
  code: status,
  details: string,
  trailers: IncomingHttpHeaders = {},
): ServiceError {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(trailers)) {
    if (key.startsWith(':') || key.startsWith('grpc-') || key.endsWith('-bin')) continue;
    for (const one of Array.isArray(value) ? value : [value ?? '']) metadata.add(key, one);
  }
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), {
    code,
    details,
    metadata,
  });
}

/** Runs `cancel` when the signal aborts; returns the function that stops listening. */
export function onAbort(signal: AbortSignal | undefined, cancel: () => void): () => void {
  if (!signal) return () => {};
  signal.addEventListener('abort', cancel, { once: true });
  return () => signal.removeEventListener('abort', cancel);
}
