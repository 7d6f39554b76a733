/**
 * gRPC over raw node:http2, for hostile tests a grpc-js client cannot play: a request message left
 * half-sent, a stream whose answers are never read, connections from a chosen local address. Only
 * the framing is gRPC's (1 flag byte, 4-byte length, body); everything else is plain HTTP/2.
 */
import {
  connect,
  constants,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
} from 'node:http2';
import { connect as connectTcp } from 'node:net';

export const WATCH = '/grpc.health.v1.Health/Watch';
export const SERVER_LIVE = '/inference.GRPCInferenceService/ServerLive';
export const MODEL_INFER = '/inference.GRPCInferenceService/ModelInfer';
export const MODEL_STREAM_INFER = '/inference.GRPCInferenceService/ModelStreamInfer';

/** `body` as one length-prefixed gRPC message. */
export function grpcFrame(body: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + body.byteLength);
  frame.writeUInt32BE(body.byteLength, 1);
  frame.set(body, 5);
  return frame;
}

/** The 5-byte prefix announcing a message of `length` bytes (its body to be sent, or not, after). */
export function grpcPrefix(length: number): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(length, 1);
  return prefix;
}

/** How a session ended, if it did: the GOAWAY the gateway sent (code and reason). */
export interface SessionEnd {
  goawayCode?: number;
  reason?: string;
  closed: boolean;
}

export interface RawSession {
  session: ClientHttp2Session;
  /** Filled in as the session is told to go away / closes. */
  end: SessionEnd;
  /** Resolves once the server's SETTINGS arrived (the connection is usable), or rejects. */
  ready: Promise<void>;
  close(): void;
}

/** An HTTP/2 connection to `address` (host:port), from `localAddress` when given (127.0.0.x). */
export function rawSession(address: string, localAddress?: string): RawSession {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), address.split(':').pop()];
  const session = connect(`http://${address}`, {
    ...(localAddress && {
      createConnection: () => connectTcp({ host, port: Number(port), localAddress }),
    }),
  });
  const end: SessionEnd = { closed: false };
  session.on('goaway', (code: number, _lastStreamId: number, opaqueData?: Buffer) => {
    end.goawayCode = code;
    end.reason = opaqueData?.toString('utf8');
  });
  session.on('error', () => undefined);
  session.on('close', () => {
    end.closed = true;
  });
  const ready = new Promise<void>((resolve, reject) => {
    session.once('remoteSettings', () => resolve());
    session.once('close', () => reject(new Error('the connection closed before its settings')));
  });
  ready.catch(() => undefined);
  return { session, end, ready, close: () => session.destroy() };
}

/** What a raw call saw: its gRPC status (trailers or trailers-only), data received, how it closed. */
export interface RawOutcome {
  status?: number;
  message?: string;
  /** Bytes of response messages received. */
  received: number;
  /** RST_STREAM code once closed (0: NO_ERROR). */
  rstCode?: number;
  closed: boolean;
}

export interface RawCall {
  stream: ClientHttp2Stream;
  outcome: RawOutcome;
  /** Resolves when the stream has closed. */
  closed: Promise<RawOutcome>;
}

/** Opens a call to `path` with `metadata` (lower-case keys); the caller writes its request bytes. */
export function rawCall(
  session: ClientHttp2Session,
  path: string,
  metadata: Record<string, string> = {},
): RawCall {
  const stream = session.request({
    [constants.HTTP2_HEADER_METHOD]: 'POST',
    [constants.HTTP2_HEADER_PATH]: path,
    'content-type': 'application/grpc',
    te: 'trailers',
    ...metadata,
  });
  const outcome: RawOutcome = { received: 0, closed: false };
  const readStatus = (headers: IncomingHttpHeaders): void => {
    const code = headers['grpc-status'];
    if (code === undefined) return;
    outcome.status = Number(code);
    outcome.message = decodeURIComponent(String(headers['grpc-message'] ?? ''));
  };
  stream.on('response', readStatus);
  stream.on('trailers', readStatus);
  stream.on('data', (chunk: Buffer) => {
    outcome.received += chunk.length;
  });
  stream.on('error', () => undefined);
  const closed = new Promise<RawOutcome>((resolve) =>
    stream.on('close', () => {
      outcome.closed = true;
      outcome.rstCode = stream.rstCode;
      resolve(outcome);
    }),
  );
  return { stream, outcome, closed };
}

/**
 * Writes `total` bytes of zeros to `stream` as fast as the server's flow control lets them go, for
 * at most `forMs`; resolves with the bytes the server took (writes that completed without error).
 */
export async function pushBytes(
  stream: ClientHttp2Stream,
  total: number,
  forMs: number,
): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024);
  let written = 0;
  let taken = 0;
  const until = Date.now() + forMs;
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (written < total && !stream.destroyed) {
        const size = Math.min(chunk.length, total - written);
        written += size;
        const more = stream.write(chunk.subarray(0, size), (error) => {
          if (!error) taken += size;
        });
        if (!more) {
          const timer = setTimeout(resolve, Math.max(0, until - Date.now()));
          stream.once('drain', () => {
            clearTimeout(timer);
            if (Date.now() < until) pump();
            else resolve();
          });
          return;
        }
      }
      resolve();
    };
    pump();
  });
  return taken;
}
