import { status } from '@grpc/grpc-js';

const PREFIX_BYTES = 5;

export interface ReadProblem {
  code: status;
  details: string;
}

/**
 * Gathers the one length-prefixed message of a unary gRPC answer from the DATA chunks it arrives
 * in, into its whole frame (prefix and message, to be sent on as it is). The length is checked
 * against the limit before any buffer is allocated for it; a frame that arrives whole in one chunk
 * is a view of that chunk, not a copy.
 */
export class GrpcMessageReader {
  private readonly prefix = Buffer.alloc(PREFIX_BYTES);
  private prefixFilled = 0;
  private framed?: Buffer;
  private framedFilled = 0;

  constructor(private readonly maxMessageBytes: number) {}

  /** Takes the next chunk; a problem ends the call (the caller resets the stream). */
  push(chunk: Buffer): ReadProblem | undefined {
    let offset = 0;
    if (this.prefixFilled < PREFIX_BYTES) {
      const take = Math.min(PREFIX_BYTES - this.prefixFilled, chunk.length);
      chunk.copy(this.prefix, this.prefixFilled, 0, take);
      this.prefixFilled += take;
      offset = take;
      if (this.prefixFilled < PREFIX_BYTES) return undefined;
      const problem = this.checkPrefix();
      if (problem) return problem;
      const size = PREFIX_BYTES + this.prefix.readUInt32BE(1);
      if (offset === PREFIX_BYTES && chunk.length >= size) {
        this.framed = chunk.subarray(0, size);
        this.framedFilled = size;
        offset = size;
      } else {
        this.framed = Buffer.allocUnsafe(size);
        this.framedFilled = this.prefix.copy(this.framed, 0);
      }
    }
    const framed = this.framed as Buffer;
    if (offset < chunk.length && this.framedFilled < framed.length) {
      const take = Math.min(framed.length - this.framedFilled, chunk.length - offset);
      chunk.copy(framed, this.framedFilled, offset, offset + take);
      this.framedFilled += take;
      offset += take;
    }
    if (offset < chunk.length) {
      return { code: status.UNIMPLEMENTED, details: 'more than one message in a unary answer' };
    }
    return undefined;
  }

  /** The whole frame (prefix, then the message), once it has arrived. */
  frame(): Buffer | undefined {
    return this.framed && this.framedFilled === this.framed.length ? this.framed : undefined;
  }

  private checkPrefix(): ReadProblem | undefined {
    if (this.prefix[0] !== 0) {
      return {
        code: status.INTERNAL,
        details: 'compressed message, but no compression was asked for',
      };
    }
    const length = this.prefix.readUInt32BE(1);
    if (length > this.maxMessageBytes) {
      return {
        code: status.RESOURCE_EXHAUSTED,
        details: `answer of ${length} bytes is over the limit of ${this.maxMessageBytes}`,
      };
    }
    return undefined;
  }
}
