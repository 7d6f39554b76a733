import { constants, type ServerHttp2Stream } from 'node:http2';
import {
  ServerInterceptingCall,
  status,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
} from '@grpc/grpc-js';
import { Logger } from '@nestjs/common';
import type { Http2StreamHandoff } from './http2-stream-handoff';
import { watchMessageArrival } from './message-arrival';
import { peerAddress, type PeerQuota, type QuotaPlace } from './peer-quota';

const HEALTH_WATCH = '/grpc.health.v1.Health/Watch';

export interface CallLimits {
  /** GATEWAY_GRPC_RECEIVE_TIMEOUT_MS. */
  receiveTimeoutMs: number;
  /** Open health Watch streams per remote address and in all. */
  watches: PeerQuota;
  handoff: Http2StreamHandoff;
}

/** How long a status sent to a late client may take to leave before its stream is reset anyway. */
const RESET_GRACE_MS = 1000;

/**
 * The per-call bounds of the gRPC transport, as the first server interceptor (it sees each call
 * before authentication does):
 * - a unary or server-streaming call's request must arrive within the receive timeout of the call's
 *   start, and each message of a client or bidi stream, once begun, within the timeout: otherwise
 *   DEADLINE_EXCEEDED, and the stream is reset so what its partial message held is freed;
 * - health Watch streams (public) are counted per remote address and in all: beyond either
 *   RESOURCE_EXHAUSTED;
 * - once a call has its final status, a client still sending is told to stop (RST_STREAM NO_ERROR
 *   after the answer, as HTTP/2 allows) rather than read only to be dropped.
 */
export function callLimitsInterceptor(limits: CallLimits): ServerInterceptor {
  let warned = false;
  return (method, call) => {
    const stream = limits.handoff.take();
    if (!stream && !warned) {
      warned = true;
      new Logger('GrpcServer').warn(
        'grpc-js internals changed: a call came without its http2 stream, so messages of client ' +
          'and bidi streams have no receive deadline and late calls are not reset',
      );
    }
    const timeoutMs = limits.receiveTimeoutMs;
    const late = (details: string): void => {
      call.sendStatus({ code: status.DEADLINE_EXCEEDED, details });
      if (stream) resetAfter(stream, RESET_GRACE_MS);
    };
    // A unary call's request (and a server stream's) must be whole, half-close included, in time.
    let requestTimer: NodeJS.Timeout | undefined;
    if (!method.requestStream) {
      requestTimer = setTimeout(
        () =>
          late(
            `the request did not arrive within ${timeoutMs} ms (GATEWAY_GRPC_RECEIVE_TIMEOUT_MS)`,
          ),
        timeoutMs,
      ).unref();
    }
    const stopWatching =
      method.requestStream && stream
        ? watchMessageArrival(stream, timeoutMs, () =>
            late(
              `a request message begun on this stream did not arrive whole within ${timeoutMs} ms (GATEWAY_GRPC_RECEIVE_TIMEOUT_MS)`,
            ),
          )
        : undefined;
    let watchPlace: QuotaPlace | undefined;
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, accept) => {
            if (method.path === HEALTH_WATCH) {
              const place = limits.watches.acquire(watchPeer(call));
              if (typeof place === 'string') {
                call.sendStatus({
                  code: status.RESOURCE_EXHAUSTED,
                  details: `too many health Watch streams (${limits.watches.describe(place)})`,
                });
                return;
              }
              watchPlace = place;
            }
            accept(metadata);
          },
          onReceiveHalfClose: (next) => {
            clearTimeout(requestTimer);
            next();
          },
          // grpc-js calls this once per call, after its final status or when its stream closed.
          onCancel: () => {
            clearTimeout(requestTimer);
            stopWatching?.();
            watchPlace?.release();
            if (stream) stopReceiving(stream);
          },
        }),
    });
  };
}

function watchPeer(call: ServerInterceptingCallInterface): string {
  return peerAddress(call.getConnectionInfo().remoteAddress);
}

/**
 * RST_STREAM NO_ERROR once the answer has left, unless the request was read to its end: "stop
 * sending, all is said". It waits for the stream's end to be sent (nghttp2 would send the reset
 * before queued trailers, losing the status), at most RESET_GRACE_MS: then it resets anyway, the
 * client is not reading.
 */
function stopReceiving(stream: ServerHttp2Stream): void {
  if (stream.readableEnded) return;
  const giveUpAt = Date.now() + RESET_GRACE_MS;
  const resetOnceSent = (): void => {
    if (stream.closed || stream.destroyed) return;
    if (stream.state.localClose) stream.close(constants.NGHTTP2_NO_ERROR);
    else if (Date.now() >= giveUpAt) stream.close(constants.NGHTTP2_CANCEL);
    else setTimeout(resetOnceSent, 1).unref();
  };
  resetOnceSent();
}

/** Resets `stream` if it is still open after `ms`: a client that reads nothing cannot hold it. */
function resetAfter(stream: ServerHttp2Stream, ms: number): void {
  setTimeout(() => {
    if (!stream.closed && !stream.destroyed) stream.close(constants.NGHTTP2_CANCEL);
  }, ms).unref();
}
