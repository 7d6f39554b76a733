import fc from 'fast-check';
// The reference: grpc-js's own decoder, which IncrementalMessageDecoder stands in for.
import { StreamDecoder } from '@grpc/grpc-js/build/src/stream-decoder';
import { IncrementalMessageDecoder } from './incremental-message-decoder';

function framed(message: Uint8Array, compressed: boolean): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt8(compressed ? 1 : 0, 0);
  prefix.writeUInt32BE(message.byteLength, 1);
  return Buffer.concat([prefix, message]);
}

/** Runs a decoder over `bytes` cut at `cuts`; the messages it gave, or the error it threw. */
function decode(decoder: { write(data: Buffer): Buffer[] }, bytes: Buffer, cuts: number[]) {
  const points = [...new Set(cuts.map((cut) => Math.floor(cut * bytes.length)))].sort(
    (a, b) => a - b,
  );
  const messages: Buffer[] = [];
  let start = 0;
  try {
    for (const end of [...points, bytes.length]) {
      messages.push(...decoder.write(bytes.subarray(start, end)));
      start = end;
    }
  } catch (error) {
    return { messages: messages.map((m) => m.toString('hex')), error: (error as Error).message };
  }
  return { messages: messages.map((m) => m.toString('hex')) };
}

describe('IncrementalMessageDecoder', () => {
  it("splits any stream, cut anywhere, exactly as grpc-js's StreamDecoder does", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.uint8Array({ maxLength: 300 }), fc.boolean()), { maxLength: 6 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }),
        fc.constantFrom(-1, 64, 1000),
        (messages, cuts, max) => {
          const bytes = Buffer.concat(
            messages.map(([message, compressed]) => framed(message, compressed)),
          );
          expect(decode(new IncrementalMessageDecoder(max), bytes, cuts)).toEqual(
            decode(new StreamDecoder(max), bytes, cuts),
          );
        },
      ),
    );
  });

  it('delivers a message only once its last byte has arrived, whole', () => {
    const decoder = new IncrementalMessageDecoder(-1);
    const message = Buffer.alloc(1 << 20, 7);
    const bytes = framed(message, false);
    expect(decoder.write(bytes.subarray(0, bytes.length - 1))).toEqual([]);
    const [whole] = decoder.write(bytes.subarray(bytes.length - 1));
    expect(whole.equals(bytes)).toBe(true);
  });
});
