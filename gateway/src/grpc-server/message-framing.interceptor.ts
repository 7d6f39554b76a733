import { ServerInterceptingCall, type ServerInterceptor } from '@grpc/grpc-js';
import { Logger } from '@nestjs/common';
import { grpcFrameOf } from '@contracts/grpc/encoded-message';
import { IncrementalMessageDecoder } from './incremental-message-decoder';

type Decoder = { write(data: Buffer): Buffer[] };
type BaseCall = { decoder?: Partial<Decoder>; serializeMessage?: (value: unknown) => Buffer };

/** A call's message bytes each way, as its wire carried them. */
export interface WireBytes {
  readonly received: number;
  readonly sent: number;
}

/** Each call's counts, keyed by the call this interceptor hands to the next one. */
const wireBytes = new WeakMap<object, () => WireBytes>();

/** The message bytes of the call an interceptor after this one was given, when counted. */
export function wireBytesOf(call: object): WireBytes | undefined {
  return wireBytes.get(call)?.();
}

/**
 * Gives each call a decoder that copies a message's bytes as they arrive
 * (IncrementalMessageDecoder) in place of grpc-js's, which joins them in one copy at the end. It
 * must be the first interceptor: only there is `call` grpc-js's own call object, whose private
 * `decoder` its data handler reads for every DATA frame. If a future grpc-js keeps it elsewhere,
 * calls keep grpc-js's decoder (correct, only that copy stalls the event loop again) and this says
 * so once.
 *
 * On the way out, an answer that is still the gRPC frame it arrived in (Triton's ModelInferResponse,
 * see grpcFrameOf) is sent as that frame: grpc-js would copy its megabytes into a new one. It also
 * counts each call's message bytes each way, for the call's access log line.
 */
export function messageFramingInterceptor(maxMessageBytes: number): ServerInterceptor {
  let warned = false;
  return (_method, call) => {
    const base = call as unknown as BaseCall;
    const decoder =
      typeof base.decoder?.write === 'function'
        ? new IncrementalMessageDecoder(maxMessageBytes)
        : undefined;
    if (decoder) {
      base.decoder = decoder;
    } else if (!warned) {
      warned = true;
      new Logger('GrpcServer').warn(
        "grpc-js internals changed: request messages are joined by grpc-js's own decoder, in one copy",
      );
    }
    const next = new ServerInterceptingCall(call);
    // Where grpc-js frames each answer message (its own call's method): bytes sent are counted.
    let sent = 0;
    const serialize = base.serializeMessage;
    if (typeof serialize === 'function') {
      base.serializeMessage = (value) => {
        const bytes = grpcFrameOf(value) ?? serialize.call(base, value);
        sent += bytes.length;
        return bytes;
      };
      if (decoder) wireBytes.set(next, () => ({ received: decoder.bytesReceived, sent }));
    }
    return next;
  };
}
