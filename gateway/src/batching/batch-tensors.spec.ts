import type { InferRequest } from '../request-path/inference-backend';
import { BytesTensorData, type InferTensor } from '../inference/tensor';
import { concatenateInputs, splitOutputs } from './batch-tensors';
import { compatibilityKey } from './compatibility-key';

const member = (inputs: InferTensor[], outputs: string[] = []): InferRequest => ({
  model: 'm',
  version: '1',
  inputs,
  outputs,
});

describe('batch tensors', () => {
  it('stacks every input along the batch dimension, each in one new buffer', () => {
    const a = member([
      { name: 'x', datatype: 'FP32', shape: [1, 2], data: Float32Array.of(1, 2) },
      { name: 'n', datatype: 'INT64', shape: [1, 1], data: BigInt64Array.of(7n) },
    ]);
    const b = member([
      { name: 'x', datatype: 'FP32', shape: [2, 2], data: Float32Array.of(3, 4, 5, 6) },
      { name: 'n', datatype: 'INT64', shape: [2, 1], data: BigInt64Array.of(8n, -9n) },
    ]);
    const [x, n] = concatenateInputs([a, b]);
    expect(x).toMatchObject({ name: 'x', datatype: 'FP32', shape: [3, 2] });
    expect(x.data).toEqual(Float32Array.of(1, 2, 3, 4, 5, 6));
    expect(n).toMatchObject({ name: 'n', datatype: 'INT64', shape: [3, 1] });
    expect(n.data).toEqual(BigInt64Array.of(7n, 8n, -9n));
  });

  it('keeps FP16 bit patterns and BYTES elements in order', () => {
    const hello = new TextEncoder().encode('hello');
    const world = new TextEncoder().encode('world');
    const [half] = concatenateInputs([
      member([{ name: 'h', datatype: 'FP16', shape: [1], data: Uint16Array.of(0x3c00) }]),
      member([{ name: 'h', datatype: 'FP16', shape: [1], data: Uint16Array.of(0xfbff) }]),
    ]);
    expect(half.data).toEqual(Uint16Array.of(0x3c00, 0xfbff));
    const [text] = concatenateInputs([
      member([{ name: 's', datatype: 'BYTES', shape: [1], data: BytesTensorData.of([hello]) }]),
      member([{ name: 's', datatype: 'BYTES', shape: [1], data: BytesTensorData.of([world]) }]),
    ]);
    expect([...(text.data as BytesTensorData).elements()]).toEqual([hello, world]);
  });

  it('reads inputs by name, whatever order each member lists them in', () => {
    const [x, y] = concatenateInputs([
      member([
        { name: 'x', datatype: 'INT32', shape: [1], data: Int32Array.of(1) },
        { name: 'y', datatype: 'INT32', shape: [1], data: Int32Array.of(10) },
      ]),
      member([
        { name: 'y', datatype: 'INT32', shape: [1], data: Int32Array.of(20) },
        { name: 'x', datatype: 'INT32', shape: [1], data: Int32Array.of(2) },
      ]),
    ]);
    expect([x.data, y.data]).toEqual([Int32Array.of(1, 2), Int32Array.of(10, 20)]);
  });

  it('splits outputs into views of the batch output, by member size', () => {
    const data = Float32Array.from({ length: 12 }, (_, index) => index);
    const [first, second] = splitOutputs(
      [{ name: 'y', datatype: 'FP32', shape: [3, 2, 2], data }],
      [1, 2],
    );
    expect(first[0]).toMatchObject({ shape: [1, 2, 2], data: Float32Array.of(0, 1, 2, 3) });
    expect(second[0]).toMatchObject({
      shape: [2, 2, 2],
      data: Float32Array.of(4, 5, 6, 7, 8, 9, 10, 11),
    });
    expect((second[0].data as Float32Array).buffer).toBe(data.buffer);
  });

  it('splits BYTES outputs by member size into views of the batch output', () => {
    const words = ['a', '', 'ccc'].map((word) => new TextEncoder().encode(word));
    const data = BytesTensorData.of(words);
    const [first, second] = splitOutputs(
      [{ name: 's', datatype: 'BYTES', shape: [3], data }],
      [2, 1],
    );
    expect([...(first[0].data as BytesTensorData).elements()]).toEqual(words.slice(0, 2));
    expect([...(second[0].data as BytesTensorData).elements()]).toEqual(words.slice(2));
    expect((second[0].data as BytesTensorData).raw.buffer).toBe(data.raw.buffer);
  });

  it('refuses a backend output whose batch dimension does not add up', () => {
    expect(() =>
      splitOutputs(
        [{ name: 'y', datatype: 'FP32', shape: [2, 2], data: new Float32Array(4) }],
        [1, 2],
      ),
    ).toThrow("backend returned output 'y' with shape [2,2] for a batch of 3");
  });

  it('gives requests the same compatibility key only when they can share a batch tensor', () => {
    const x = (shape: number[], datatype: 'FP32' | 'INT32' = 'FP32'): InferTensor => ({
      name: 'x',
      datatype,
      shape,
      data: new Float32Array(shape.reduce((a, b) => a * b, 1)),
    });
    const base = compatibilityKey(member([x([1, 3, 4])]));
    expect(compatibilityKey(member([x([5, 3, 4])]))).toBe(base);
    expect(compatibilityKey(member([x([1, 4, 3])]))).not.toBe(base);
    expect(compatibilityKey(member([x([1, 3, 4], 'INT32')]))).not.toBe(base);
    expect(compatibilityKey(member([x([1, 3, 4])], ['b', 'a']))).toBe(
      compatibilityKey(member([x([1, 3, 4])], ['a', 'b'])),
    );
    expect(compatibilityKey(member([x([1, 3, 4])], ['a']))).not.toBe(base);
  });
});
