import { create, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import {
  InferTensorContentsSchema,
  type InferTensorContents,
} from '@contracts/generated/inference/grpc_service_pb';
import type { KServeDatatype } from '@contracts/kserve/datatype';
import { runAtOnce } from '../event-loop/sliced-work';
import { type BytesTensorData, type TensorData } from '../inference/tensor';
import { decodeContents } from './tensor-contents-decoder';

type Contents = Partial<Omit<InferTensorContents, '$typeName'>>;

const decode = (datatype: KServeDatatype, count: number, pieces: Uint8Array[]): TensorData =>
  runAtOnce(decodeContents("input 'x'", datatype, [count], count, pieces));

const wire = (contents: Contents): Uint8Array =>
  toBinary(InferTensorContentsSchema, create(InferTensorContentsSchema, contents));

describe('decodeContents', () => {
  it.each<[KServeDatatype, Contents, TensorData]>([
    ['BOOL', { boolContents: [true, false] }, Uint8Array.of(1, 0)],
    ['INT8', { intContents: [-1, 127] }, Int8Array.of(-1, 127)],
    ['INT32', { intContents: [-5, 2 ** 31 - 1] }, Int32Array.of(-5, 2 ** 31 - 1)],
    ['UINT16', { uintContents: [0, 65535] }, Uint16Array.of(0, 65535)],
    ['INT64', { int64Contents: [-1n, 2n ** 62n] }, BigInt64Array.of(-1n, 2n ** 62n)],
    ['UINT64', { uint64Contents: [2n ** 64n - 1n, 0n] }, BigUint64Array.of(2n ** 64n - 1n, 0n)],
    ['FP32', { fp32Contents: [1.5, -0] }, Float32Array.of(1.5, -0)],
    ['FP64', { fp64Contents: [0.1, 1e300] }, Float64Array.of(0.1, 1e300)],
  ])('reads %s elements as protobuf-es writes them (packed)', (datatype, contents, expected) => {
    expect(decode(datatype, expected.length, [wire(contents)])).toEqual(expected);
  });

  it('reads unpacked elements and elements split over merged pieces', () => {
    const unpacked = new BinaryWriter()
      .tag(6, WireType.Bit32)
      .float(1)
      .tag(6, WireType.Bit32)
      .float(2)
      .finish();
    expect(decode('FP32', 3, [unpacked, wire({ fp32Contents: [3] })])).toEqual(
      Float32Array.of(1, 2, 3),
    );
    expect(
      decode('INT32', 2, [
        new BinaryWriter().tag(2, WireType.Varint).int32(-7).finish(),
        wire({ intContents: [8] }),
      ]),
    ).toEqual(Int32Array.of(-7, 8));
  });

  it('packs bytes_contents into one wire-form BYTES buffer', () => {
    const words = ['a', '', 'ccc'].map((word) => new TextEncoder().encode(word));
    const data = decode('BYTES', 3, [wire({ bytesContents: words })]) as BytesTensorData;
    expect([...data.elements()]).toEqual(words);
  });

  it('refuses a count the bytes cannot hold before allocating anything', () => {
    expect(() => decode('FP64', 1e12, [wire({ fp64Contents: [1] })])).toThrow(
      "input 'x': shape [1000000000000] needs 1000000000000 elements, more than 10 bytes of fp64_contents can hold",
    );
    expect(() => decode('BYTES', 5, [wire({ bytesContents: [new Uint8Array(0)] })])).toThrow(
      /needs 5 elements, more than 2 bytes of bytes_contents can hold/,
    );
  });

  it('stops at the first element past the count, or in another field', () => {
    expect(() => decode('FP32', 2, [wire({ fp32Contents: [1, 2, 3] })])).toThrow(
      "input 'x': fp32_contents has more than the 2 elements shape [2] needs",
    );
    expect(() => decode('INT32', 1, [wire({ intContents: [1, 2, 3, 4] })])).toThrow(
      'int_contents has more than the 1 elements',
    );
    expect(() =>
      decode('FP32', 1, [wire({ fp32Contents: [1], bytesContents: [Uint8Array.of(1)] })]),
    ).toThrow(
      "input 'x': its contents carry bytes_contents, but FP32 elements travel in fp32_contents",
    );
    expect(() => decode('INT32', 3, [wire({ intContents: [1, 2] })])).toThrow(
      "input 'x': int_contents has 2 elements, shape [3] needs 3",
    );
  });

  it('refuses FP16 and BF16 (raw contents only) and malformed bytes, naming the input', () => {
    expect(() => decode('FP16', 1, [wire({})])).toThrow(
      "input 'x': FP16 data must be sent in raw_input_contents",
    );
    expect(() => decode('FP32', 1, [Uint8Array.of(0x32, 10, 1, 2, 3)])).toThrow(
      /input 'x': malformed contents/,
    );
  });
});
