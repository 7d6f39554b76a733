import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import type { KServeDatatype } from '@contracts/kserve/datatype';
import { GatewayError, invalidArgument } from '../errors/gateway-error';
import { YIELD_EVERY, type SlicedWork } from '../event-loop/sliced-work';
import {
  BytesTensorData,
  storageFor,
  type NumericTensorData,
  type TensorData,
} from '../inference/tensor';
import { shownShape } from '../inference/tensor-signature';

type TypedDatatype = Exclude<KServeDatatype, 'FP16' | 'BF16'>;

/** `InferTensorContents` field numbers and names, by field number. */
const FIELD_NAMES = [
  '',
  'bool_contents',
  'int_contents',
  'int64_contents',
  'uint_contents',
  'uint64_contents',
  'fp32_contents',
  'fp64_contents',
  'bytes_contents',
];

/** The field a datatype's elements travel in, and the fewest bytes one element takes there. */
const FIELDS: Record<TypedDatatype, { field: number; minBytes: number }> = {
  BOOL: { field: 1, minBytes: 1 },
  INT8: { field: 2, minBytes: 1 },
  INT16: { field: 2, minBytes: 1 },
  INT32: { field: 2, minBytes: 1 },
  INT64: { field: 3, minBytes: 1 },
  UINT8: { field: 4, minBytes: 1 },
  UINT16: { field: 4, minBytes: 1 },
  UINT32: { field: 4, minBytes: 1 },
  UINT64: { field: 5, minBytes: 1 },
  FP32: { field: 6, minBytes: 4 },
  FP64: { field: 7, minBytes: 8 },
  // A tag and a length, for an empty element.
  BYTES: { field: 8, minBytes: 2 },
};

/**
 * Decodes an input's typed `contents` (the InferTensorContents message, as undecoded pieces) into
 * its storage, with the input already checked against the model: the storage is allocated only
 * once the bytes could hold `count` elements, the walk stops at the first element past `count` or
 * in another field, and it runs in slices.
 */
export function* decodeContents(
  /** Names the tensor in errors, e.g. `input 'images'`. */
  label: string,
  datatype: KServeDatatype,
  shape: readonly number[],
  count: number,
  pieces: readonly Uint8Array[],
): SlicedWork<TensorData> {
  if (datatype === 'FP16' || datatype === 'BF16') {
    throw invalidArgument(`${label}: ${datatype} data must be sent in raw_input_contents`);
  }
  const { field, minBytes } = FIELDS[datatype];
  const fieldName = FIELD_NAMES[field];
  const total = pieces.reduce((sum, piece) => sum + piece.byteLength, 0);
  if (count * minBytes > total) {
    throw invalidArgument(
      `${label}: shape ${shownShape(shape)} needs ${count} elements, more than ${total} bytes of ${fieldName} can hold`,
    );
  }
  const tooMany = (): GatewayError =>
    invalidArgument(
      `${label}: ${fieldName} has more than the ${count} elements shape ${shownShape(shape)} needs`,
    );
  const sink = elementSink(datatype, count, total);
  let index = 0;
  try {
    for (const piece of pieces) {
      const reader = new BinaryReader(piece);
      while (reader.pos < reader.len) {
        const [number, wireType] = reader.tag();
        if (number !== field) {
          throw invalidArgument(
            `${label}: its contents carry ${FIELD_NAMES[number] ?? `field ${number}`}, but ${datatype} elements travel in ${fieldName}`,
          );
        }
        if (wireType === WireType.LengthDelimited && datatype !== 'BYTES') {
          // Packed: every element of the run, as proto3 writers send them.
          const packed = reader.bytes();
          if (sink.fixedWidth) {
            if (packed.byteLength % sink.fixedWidth !== 0) {
              throw invalidArgument(`${label}: ${fieldName} ends inside an element`);
            }
            if (index + packed.byteLength / sink.fixedWidth > count) throw tooMany();
            index = sink.copy(index, packed);
            continue;
          }
          const run = new BinaryReader(packed);
          while (run.pos < run.len) {
            if (index === count) throw tooMany();
            sink.read(index++, run, WireType.Varint);
            if (index % YIELD_EVERY === 0) yield;
          }
        } else {
          if (index === count) throw tooMany();
          sink.read(index++, reader, wireType);
          if (index % YIELD_EVERY === 0) yield;
        }
      }
    }
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    throw invalidArgument(`${label}: malformed contents: ${(error as Error).message}`);
  }
  if (index !== count) {
    throw invalidArgument(
      `${label}: ${fieldName} has ${index} elements, shape ${shownShape(shape)} needs ${count}`,
    );
  }
  return sink.finish();
}

interface ElementSink {
  /** Bytes per element of a packed fixed-width run (fp32, fp64); 0 for varints and bytes. */
  fixedWidth: number;
  /** Reads one element at `index` from `reader`, encoded as `wireType`. */
  read(index: number, reader: BinaryReader, wireType: WireType): void;
  /** Copies a packed fixed-width run to `index`; returns the index after it. */
  copy(index: number, packed: Uint8Array): number;
  finish(): TensorData;
}

function elementSink(datatype: TypedDatatype, count: number, contentBytes: number): ElementSink {
  if (datatype === 'BYTES') {
    const writer = BytesTensorData.writer(count * 4 + contentBytes);
    return {
      fixedWidth: 0,
      read: (_index, reader, wireType) => {
        expectWireType(wireType, WireType.LengthDelimited);
        writer.push(reader.bytes());
      },
      copy: () => {
        throw new Error('bytes_contents are never packed');
      },
      finish: () => writer.finish(),
    };
  }
  const storage = new (storageFor(datatype))(count);
  const fixed = datatype === 'FP32' || datatype === 'FP64';
  const wire =
    datatype === 'FP32' ? WireType.Bit32 : datatype === 'FP64' ? WireType.Bit64 : WireType.Varint;
  const read = scalarReader(datatype, storage);
  return {
    fixedWidth: fixed ? storage.BYTES_PER_ELEMENT : 0,
    read: (index, reader, wireType) => {
      expectWireType(wireType, wire);
      read(index, reader);
    },
    copy: (index, packed) => {
      new Uint8Array(storage.buffer, index * storage.BYTES_PER_ELEMENT).set(packed);
      return index + packed.byteLength / storage.BYTES_PER_ELEMENT;
    },
    finish: () => storage,
  };
}

function scalarReader(
  datatype: Exclude<TypedDatatype, 'BYTES'>,
  storage: NumericTensorData,
): (index: number, reader: BinaryReader) => void {
  const numbers = storage as Float64Array;
  const bigints = storage as BigInt64Array;
  switch (datatype) {
    case 'BOOL':
      return (index, reader) => (numbers[index] = reader.bool() ? 1 : 0);
    case 'INT8':
    case 'INT16':
    case 'INT32':
      return (index, reader) => (numbers[index] = reader.int32());
    case 'UINT8':
    case 'UINT16':
    case 'UINT32':
      return (index, reader) => (numbers[index] = reader.uint32());
    case 'INT64':
      return (index, reader) => (bigints[index] = BigInt(reader.int64()));
    case 'UINT64':
      return (index, reader) => (bigints[index] = BigInt(reader.uint64()));
    case 'FP32':
      return (index, reader) => (numbers[index] = reader.float());
    case 'FP64':
      return (index, reader) => (numbers[index] = reader.double());
  }
}

function expectWireType(got: WireType, expected: WireType): void {
  if (got !== expected) throw new Error(`wire type ${got} where ${expected} was expected`);
}
