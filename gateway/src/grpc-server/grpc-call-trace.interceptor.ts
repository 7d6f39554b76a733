import {
  Metadata,
  ServerInterceptingCall,
  status as grpcStatus,
  type ServerInterceptor,
} from '@grpc/grpc-js';
import { grpcCallerOf } from '../auth/grpc/grpc-caller';
import type { CallRecord } from '../tracing/call-record';
import type { FollowedCalls } from '../tracing/followed-calls';
import { wireBytesOf } from './message-framing.interceptor';

/**
 * Each gRPC call's record, keyed by its metadata object: the interceptor sees the metadata, which
 * grpc-js then hands, the same object, to the handler's call (as for the caller, grpc-caller.ts).
 */
const records = new WeakMap<Metadata, CallRecord>();

/** The record of the call with `metadata` (grpc-call-context.ts puts it on the CallContext). */
export function grpcCallRecord(metadata: Metadata): CallRecord | undefined {
  return records.get(metadata);
}

/**
 * Follows every gRPC call, refused ones included (it runs before the handler's authentication and
 * before the call limits, so their refusals pass through here): its record from `x-request-id`,
 * `traceparent` and `tracestate` metadata when the call's metadata arrives; `x-request-id` in the
 * answer's headers (or its trailers, for an answer that is only a status); its span ended and its
 * access log line written at its status, or when the caller cancels it. A stream is one call: its
 * line counts its messages each way. It must come right after the decoding interceptor, whose
 * byte counts it reads.
 */
export function callTraceInterceptor(calls: FollowedCalls): ServerInterceptor {
  return (method, call) => {
    const route = method.path.replace(/^\//, '');
    let record: CallRecord | undefined;
    let metadata: Metadata | undefined;
    let headersSent = false;
    let messagesIn = 0;
    let messagesOut = 0;
    const end = (code: number): void => {
      if (!record) return;
      const ended = record;
      record = undefined;
      const caller = metadata ? grpcCallerOf(metadata) : undefined;
      const bytes = wireBytesOf(call);
      calls.end(ended, {
        protocol: 'grpc',
        route,
        status: code,
        ...(caller ? { tenant: caller.tenant } : {}),
        durationMs: performance.now() - ended.startedAt,
        ...(bytes ? { bytesIn: bytes.received, bytesOut: bytes.sent } : {}),
        ...(method.requestStream || method.responseStream ? { messagesIn, messagesOut } : {}),
      });
    };
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (received, accept) => {
            metadata = received;
            record = calls.start({
              protocol: 'grpc',
              route,
              requestId: text(received, 'x-request-id'),
              traceparent: text(received, 'traceparent'),
              tracestate: text(received, 'tracestate'),
            });
            records.set(received, record);
            accept(received);
          },
          onReceiveMessage: (message, accept) => {
            messagesIn += 1;
            accept(message);
          },
          onCancel: () => end(grpcStatus.CANCELLED),
        }),
      sendMetadata: (headers, send) => {
        headersSent = true;
        const id = record?.requestId ?? (metadata && records.get(metadata)?.requestId);
        if (id) headers.set('x-request-id', id);
        send(headers);
      },
      sendMessage: (message, send) => {
        messagesOut += 1;
        send(message);
      },
      sendStatus: (status, send) => {
        const id = record?.requestId;
        if (id && !headersSent) {
          const trailers = status.metadata ?? new Metadata();
          trailers.set('x-request-id', id);
          status = { ...status, metadata: trailers };
        }
        end(status.code ?? grpcStatus.UNKNOWN);
        send(status);
      },
    });
  };
}

function text(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return typeof value === 'string' ? value : undefined;
}
