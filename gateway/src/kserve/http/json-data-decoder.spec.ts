import type { KServeDatatype } from '@contracts/kserve/datatype';
import fc from 'fast-check';
import { runAtOnce } from '../../event-loop/sliced-work';
import { BytesTensorData, type TensorData } from '../../inference/tensor';
import { scanInferJson } from './infer-json-scanner';
import { decodeJsonData } from './json-data-decoder';

/** Decodes `data` (JSON text) as the one input of a request, as the REST front door does. */
function decode(data: string, datatype: KServeDatatype): TensorData {
  const body = Buffer.from(`{"inputs":[{"name":"x","data":${data}}]}`);
  const span = runAtOnce(scanInferJson(body, 1 << 20)).data.get(0);
  if (!span) throw new Error('no data');
  return runAtOnce(decodeJsonData("input 'x'", body, span, datatype, span.elements));
}

describe('decodeJsonData', () => {
  it('reads numbers exactly as JSON.parse does, straight into the storage', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer()), {
          maxLength: 50,
        }),
        fc.constantFrom<KServeDatatype>('FP32', 'FP64'),
        (values, datatype) => {
          const text = JSON.stringify(values);
          const expected = (JSON.parse(text) as number[]).map((value) => value);
          const Storage = datatype === 'FP32' ? Float32Array : Float64Array;
          expect(decode(text, datatype)).toEqual(Storage.from(expected));
        },
      ),
      { numRuns: 500 },
    );
    expect(decode('[0.1, -0, 1e2, 123456789012345678, -0.5e-3, 1E+2]', 'FP64')).toEqual(
      Float64Array.of(0.1, -0, 100, 123456789012345680, -0.0005, 100),
    );
    expect(Object.is((decode('[-0]', 'FP32') as Float32Array)[0], -0)).toBe(true);
  });

  it('reads integers, 64-bit ones and booleans, flat or nested', () => {
    expect(decode('[[1,-2],[3,4]]', 'INT32')).toEqual(Int32Array.of(1, -2, 3, 4));
    expect(decode('[-1, 9007199254740991]', 'INT64')).toEqual(
      BigInt64Array.of(-1n, 9007199254740991n),
    );
    expect(decode('[[true],[false]]', 'BOOL')).toEqual(Uint8Array.of(1, 0));
    expect(decode('7', 'UINT8')).toEqual(Uint8Array.of(7));
  });

  it('packs BYTES elements into one wire-form buffer, escapes decoded', () => {
    const data = decode(
      String.raw`["a", "", "é\n", "\u00e9\"\\", "😀"]`,
      'BYTES',
    ) as BytesTensorData;
    expect(data).toBeInstanceOf(BytesTensorData);
    expect([...data.elements()].map((element) => Buffer.from(element).toString())).toEqual([
      'a',
      '',
      'é\n',
      'é"\\',
      '😀',
    ]);
  });

  it('names the first element of the wrong kind, without echoing long values', () => {
    expect(() => decode('[1,"x",3]', 'FP32')).toThrow(
      `input 'x': element 1 must be a finite number, got "x"`,
    );
    expect(() => decode('[1.5]', 'INT8')).toThrow('element 0 must be an integer, got 1.5');
    expect(() => decode('[1e400]', 'FP64')).toThrow('element 0 must be a finite number, got 1e400');
    expect(() => decode('[true, null]', 'BOOL')).toThrow('element 1 must be a boolean, got null');
    expect(() => decode('[1]', 'BOOL')).toThrow('element 0 must be a boolean, got 1');
    expect(() => decode('[1]', 'BYTES')).toThrow('element 0 must be a string, got 1');
    expect(() => decode(`["${'y'.repeat(10_000)}"]`, 'INT32')).toThrow(
      /got "y{40}…" \(10000 bytes\)$/,
    );
    expect(() => decode('[1]', 'FP16')).toThrow(
      "input 'x': FP16 data must use the binary tensor data extension",
    );
  });
});
