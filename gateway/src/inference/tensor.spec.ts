import { runAtOnce } from '../event-loop/sliced-work';
import { GatewayError } from '../errors/gateway-error';
import { rawBytesOf, tensorOverRaw } from './tensor';

/** `values` as little-endian FP32 bytes at `offset` of a larger buffer (odd offsets unaligned). */
function rawAt(offset: number, values: number[]): Uint8Array {
  const buffer = new Uint8Array(offset + 4 * values.length);
  buffer.set(new Uint8Array(Float32Array.from(values).buffer), offset);
  return buffer.subarray(offset);
}

describe('tensorOverRaw', () => {
  it('views aligned bytes without a copy', () => {
    const raw = rawAt(8, [1.5, -2]);
    const tensor = runAtOnce(tensorOverRaw("input 'x'", 'x', 'FP32', [2], raw));
    expect(tensor.data).toEqual(Float32Array.of(1.5, -2));
    expect((tensor.data as Float32Array).buffer).toBe(raw.buffer);
    expect(rawBytesOf(tensor)).toBe(raw);
  });

  it('keeps unaligned bytes as they came and makes the aligned copy only when data is read', () => {
    const raw = rawAt(3, [0.25, 7, -0]);
    const tensor = runAtOnce(tensorOverRaw("input 'x'", 'x', 'FP32', [3], raw));
    // Forwarding reads the raw bytes: the very view it was given.
    expect(rawBytesOf(tensor)).toBe(raw);
    const data = tensor.data as Float32Array;
    expect(data).toEqual(Float32Array.of(0.25, 7, -0));
    expect(data.buffer).not.toBe(raw.buffer);
    expect(data.byteOffset % 4).toBe(0);
    // One copy, made once.
    expect(tensor.data).toBe(data);
    // A tensor that is read stays the same tensor when spread (the copy travels with it).
    expect({ ...tensor }.data).toBe(data);
  });

  it('refuses a byte length that does not match the shape before anything is copied', () => {
    const raw = rawAt(1, [1, 2, 3]);
    expect(() => runAtOnce(tensorOverRaw("input 'x'", 'x', 'FP32', [4], raw))).toThrow(
      new GatewayError(
        'invalid_argument',
        "input 'x': expected 16 bytes of FP32 data for shape [4], got 12",
      ),
    );
  });

  it('reads BYTES at once, checking their framing', () => {
    const framed = Uint8Array.of(1, 0, 0, 0, 0x61);
    const tensor = runAtOnce(tensorOverRaw("input 't'", 't', 'BYTES', [1], framed));
    expect(rawBytesOf(tensor)).toEqual(framed);
    expect(() => runAtOnce(tensorOverRaw("input 't'", 't', 'BYTES', [2], framed))).toThrow(
      GatewayError,
    );
  });
});
