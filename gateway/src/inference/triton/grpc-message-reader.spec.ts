import { status } from '@grpc/grpc-js';
import { GrpcMessageReader } from './grpc-message-reader';

function framed(body: Buffer, compressed = 0): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt8(compressed, 0);
  prefix.writeUInt32BE(body.length, 1);
  return Buffer.concat([prefix, body]);
}

/** Feeds `bytes` to a reader in chunks of the given sizes (the rest as the last chunk). */
function feed(reader: GrpcMessageReader, bytes: Buffer, sizes: number[]) {
  let offset = 0;
  const problems = [];
  for (const size of [...sizes, bytes.length]) {
    if (offset >= bytes.length) break;
    const problem = reader.push(bytes.subarray(offset, Math.min(offset + size, bytes.length)));
    if (problem) problems.push(problem);
    offset += size;
  }
  return problems;
}

describe('GrpcMessageReader', () => {
  const body = Buffer.from(Array.from({ length: 300 }, (_, index) => index % 251));

  it.each([
    ['one chunk', []],
    ['the prefix split', [2, 1, 100]],
    ['byte by byte', Array.from({ length: 310 }, () => 1)],
    ['prefix and body apart', [5, 150]],
  ])('gathers the message from %s', (_name, sizes) => {
    const reader = new GrpcMessageReader(1000);
    expect(feed(reader, framed(body), sizes)).toEqual([]);
    expect(reader.frame()?.equals(framed(body))).toBe(true);
  });

  it('answers a frame that came in one chunk as a view of that chunk, not a copy', () => {
    const chunk = framed(body);
    const reader = new GrpcMessageReader(1000);
    reader.push(chunk);
    expect(reader.frame()?.buffer).toBe(chunk.buffer);
    expect(reader.frame()?.byteOffset).toBe(chunk.byteOffset);
  });

  it('has no message until all of it arrived', () => {
    const reader = new GrpcMessageReader(1000);
    reader.push(framed(body).subarray(0, 200));
    expect(reader.frame()).toBeUndefined();
  });

  it('refuses a length over the limit from the prefix alone', () => {
    const reader = new GrpcMessageReader(299);
    const prefix = framed(body).subarray(0, 5);
    expect(reader.push(prefix)).toEqual({
      code: status.RESOURCE_EXHAUSTED,
      details: 'answer of 300 bytes is over the limit of 299',
    });
  });

  it('refuses a compressed message and a second message', () => {
    expect(new GrpcMessageReader(1000).push(framed(body, 1))?.code).toBe(status.INTERNAL);
    const twice = Buffer.concat([framed(body), framed(body)]);
    expect(new GrpcMessageReader(1000).push(twice)?.code).toBe(status.UNIMPLEMENTED);
  });
});
