import { ServerInterceptingCall, type ServerInterceptor } from '@grpc/grpc-js';
import { Logger } from '@nestjs/common';
import { IncrementalMessageDecoder } from './incremental-message-decoder';

type Decoder = { write(data: Buffer): Buffer[] };

/**
 * Gives each call a decoder that copies a message's bytes as they arrive
 * (IncrementalMessageDecoder) in place of grpc-js's, which joins them in one copy at the end. It
 * must be the first interceptor: only there is `call` grpc-js's own call object, whose private
 * `decoder` its data handler reads for every DATA frame. If a future grpc-js keeps it elsewhere,
 * calls keep grpc-js's decoder (correct, only that copy stalls the event loop again) and this says
 * so once.
 */
export function incrementalDecodingInterceptor(maxMessageBytes: number): ServerInterceptor {
  let warned = false;
  return (_method, call) => {
    const base = call as unknown as { decoder?: Partial<Decoder> };
    if (typeof base.decoder?.write === 'function') {
      base.decoder = new IncrementalMessageDecoder(maxMessageBytes);
    } else if (!warned) {
      warned = true;
      new Logger('GrpcServer').warn(
        "grpc-js internals changed: request messages are joined by grpc-js's own decoder, in one copy",
      );
    }
    return new ServerInterceptingCall(call);
  };
}
