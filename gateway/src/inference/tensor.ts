import { KSERVE_DATATYPES, type KServeDatatype } from '@contracts/kserve/datatype';
import { invalidArgument } from '../errors/gateway-error';
import { BytesTensorData } from './bytes-tensor-data';
import type { SlicedWork } from '../event-loop/sliced-work';

export { BytesTensorData } from './bytes-tensor-data';

/** Element storage by datatype. FP16/BF16 hold raw 16-bit patterns. */
export type NumericTensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

/** Typed storage for numbers; one wire-form buffer for BYTES (never an object per element). */
export type TensorData = NumericTensorData | BytesTensorData;

export interface InferTensor {
  name: string;
  datatype: KServeDatatype;
  shape: number[];
  data: TensorData;
}

export type NumericDatatype = Exclude<KServeDatatype, 'BYTES'>;

type TypedArrayConstructor = {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): NumericTensorData;
  new (length: number): NumericTensorData;
  readonly BYTES_PER_ELEMENT: number;
};

const STORAGE: Record<NumericDatatype, TypedArrayConstructor> = {
  BOOL: Uint8Array,
  UINT8: Uint8Array,
  UINT16: Uint16Array,
  UINT32: Uint32Array,
  UINT64: BigUint64Array,
  INT8: Int8Array,
  INT16: Int16Array,
  INT32: Int32Array,
  INT64: BigInt64Array,
  FP16: Uint16Array,
  FP32: Float32Array,
  FP64: Float64Array,
  BF16: Uint16Array,
};

/** Elements of a shape. Dimensions come from callers: a product past 2^53 is only compared, never allocated. */
export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const dim of shape) count *= dim;
  return count;
}

export function storageFor(datatype: NumericDatatype): TypedArrayConstructor {
  return STORAGE[datatype];
}

/**
 * Tensor data over little-endian raw bytes (the KServe raw / binary wire form), checked against the
 * element count of `shape` before anything is walked. Numbers: a zero-copy view when the bytes are
 * aligned for the element type, else one copy (pooled Node buffers often are not). BYTES: the bytes
 * as they are, their framing walked in slices.
 */
export function* tensorFromRaw(
  /** Names the tensor in errors, e.g. `input 'images'`. */
  label: string,
  datatype: KServeDatatype,
  shape: readonly number[],
  raw: Uint8Array,
): SlicedWork<TensorData> {
  const count = elementCount(shape);
  if (datatype === 'BYTES') return yield* BytesTensorData.fromWire(label, raw, count);
  const width = KSERVE_DATATYPES[datatype].bytes;
  if (raw.byteLength !== count * width) {
    throw invalidArgument(
      `${label}: expected ${count * width} bytes of ${datatype} data for shape [${shape.join(',')}], got ${raw.byteLength}`,
    );
  }
  const Storage = STORAGE[datatype];
  if (raw.byteOffset % width === 0) return new Storage(raw.buffer, raw.byteOffset, count);
  const aligned = new Uint8Array(raw.byteLength);
  aligned.set(raw);
  return new Storage(aligned.buffer, 0, count);
}

/** Raw little-endian bytes of a tensor (BYTES: its wire form), sharing memory with it. */
export function toRawBytes(data: TensorData): Uint8Array {
  if (data instanceof BytesTensorData) return data.raw;
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
