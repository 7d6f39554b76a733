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
  /**
   * The elements exactly as they arrived (little-endian, KServe's raw form) when they came as raw
   * bytes: what is forwarded or answered as raw bytes again, without a copy. See tensorOverRaw.
   */
  readonly raw?: Uint8Array;
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
function* tensorFromRaw(
  /** Names the tensor in errors, e.g. `input 'images'`. */
  label: string,
  datatype: KServeDatatype,
  shape: readonly number[],
  raw: Uint8Array,
): SlicedWork<TensorData> {
  const count = elementCount(shape);
  if (datatype === 'BYTES') return yield* BytesTensorData.fromWire(label, raw, count);
  checkRawLength(label, datatype, shape, raw);
  if (raw.byteOffset % KSERVE_DATATYPES[datatype].bytes === 0) {
    return new STORAGE[datatype](raw.buffer, raw.byteOffset, count);
  }
  return alignedCopy(datatype, count, raw);
}

/** Raw little-endian bytes of tensor data (BYTES: its wire form), sharing memory with it. */
function toRawBytes(data: TensorData): Uint8Array {
  if (data instanceof BytesTensorData) return data.raw;
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** A tensor's raw bytes: those it arrived as, else a view of its data. Never a copy. */
export function rawBytesOf(tensor: InferTensor): Uint8Array {
  return tensor.raw ?? toRawBytes(tensor.data);
}

/**
 * A tensor over raw bytes (a KServe raw / binary input or Triton's raw output), its byte length
 * checked against `shape` now. Raw bytes usually sit at an odd offset of their message, where no
 * typed array can view them: the aligned copy of the elements is then made only if something
 * reads `data`. A tensor that is only forwarded (to Triton, or back to the caller) never is: its
 * `raw` bytes travel as they came. BYTES tensors are read at once (their framing is checked).
 */
export function* tensorOverRaw(
  /** Names the tensor in errors, e.g. `input 'images'`. */
  label: string,
  name: string,
  datatype: KServeDatatype,
  shape: number[],
  raw: Uint8Array,
): SlicedWork<InferTensor> {
  if (datatype === 'BYTES' || raw.byteOffset % KSERVE_DATATYPES[datatype].bytes === 0) {
    return { name, datatype, shape, data: yield* tensorFromRaw(label, datatype, shape, raw), raw };
  }
  checkRawLength(label, datatype, shape, raw);
  let data: TensorData | undefined;
  return {
    name,
    datatype,
    shape,
    raw,
    get data(): TensorData {
      return (data ??= alignedCopy(datatype, elementCount(shape), raw));
    },
  };
}

function checkRawLength(
  label: string,
  datatype: NumericDatatype,
  shape: readonly number[],
  raw: Uint8Array,
): void {
  const expected = elementCount(shape) * KSERVE_DATATYPES[datatype].bytes;
  if (raw.byteLength !== expected) {
    throw invalidArgument(
      `${label}: expected ${expected} bytes of ${datatype} data for shape [${shape.join(',')}], got ${raw.byteLength}`,
    );
  }
}

function alignedCopy(datatype: NumericDatatype, count: number, raw: Uint8Array): NumericTensorData {
  const aligned = new Uint8Array(raw.byteLength);
  aligned.set(raw);
  return new STORAGE[datatype](aligned.buffer, 0, count);
}
