/**
 * A message already in wire form, sent or answered as these bytes instead of being encoded again:
 * the gateway answers a KServe call with Triton's own ModelInferResponse bytes when it has nothing
 * to change in them, so megabytes of tensors are not copied into a new message (bulkBytesEncoder
 * writes it as it is).
 */
export class EncodedMessage {
  constructor(
    /** protobuf-es type name of the message the bytes are, e.g. `inference.ModelInferResponse`. */
    readonly typeName: string,
    readonly bytes: Uint8Array,
  ) {}
}

/** Decoded messages and the bytes they were decoded from (client side, see service-definition). */
const wireBytes = new WeakMap<object, Uint8Array>();

/** Remembers the bytes `message` was decoded from. */
export function rememberWireBytes<M extends object>(message: M, bytes: Uint8Array): M {
  wireBytes.set(message, bytes);
  return message;
}

/** The bytes a message was decoded from, when it came from the wire through a client definition. */
export function wireBytesOf(message: object): Uint8Array | undefined {
  return wireBytes.get(message);
}

/** Message bytes and the gRPC frame they arrived in: the 5-byte prefix, then exactly these bytes. */
const grpcFrames = new WeakMap<Uint8Array, Buffer>();

/** Remembers that `bytes` arrived as `frame` (uncompressed), to send it on as that frame. */
export function rememberGrpcFrame(bytes: Uint8Array, frame: Buffer): void {
  grpcFrames.set(bytes, frame);
}

/**
 * The whole gRPC frame (prefix and message) of an EncodedMessage whose bytes arrived as one, so a
 * server answers with it instead of copying the message into a new frame.
 */
export function grpcFrameOf(message: unknown): Buffer | undefined {
  return message instanceof EncodedMessage ? grpcFrames.get(message.bytes) : undefined;
}
