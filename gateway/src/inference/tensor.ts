import { KSERVE_DATATYPES, type KServeDatatype } from '@contracts/kserve/datatype';
import { invalidArgument } from '../errors/gateway-error';

/** Element storage by datatype. FP16/BF16 hold raw 16-bit patterns; BYTES holds one buffer per element. */
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

export type TensorData = NumericTensorData | Uint8Array[];

export interface InferTensor {
  name: string;
  datatype: KServeDatatype;
  shape: number[];
  data: TensorData;
}

type TypedArrayConstructor = {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): NumericTensorData;
  new (length: number): NumericTensorData;
  readonly BYTES_PER_ELEMENT: number;
};

const STORAGE: Record<Exclude<KServeDatatype, 'BYTES'>, TypedArrayConstructor> = {
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

export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const dim of shape) count *= dim;
  return count;
}

export function storageFor(datatype: Exclude<KServeDatatype, 'BYTES'>): TypedArrayConstructor {
  return STORAGE[datatype];
}

/**
 * Typed view over little-endian raw tensor bytes (the KServe raw/binary wire form). Zero-copy when
 * the bytes are aligned for the element type; otherwise one copy (pooled Node buffers often are not).
 */
export function fromRawBytes(
  /** Names the tensor in errors, e.g. `input 'images'`. */
  label: string,
  datatype: KServeDatatype,
  shape: number[],
  raw: Uint8Array,
): TensorData {
  const count = elementCount(shape);
  if (datatype === 'BYTES') return splitBytesElements(label, raw, count);
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

/** BYTES elements on the wire: each a 4-byte little-endian length followed by that many bytes. */
function splitBytesElements(label: string, raw: Uint8Array, count: number): Uint8Array[] {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const elements: Uint8Array[] = [];
  let offset = 0;
  while (offset < raw.byteLength) {
    if (offset + 4 > raw.byteLength) {
      throw invalidArgument(`${label}: truncated BYTES element length at byte ${offset}`);
    }
    const length = view.getUint32(offset, true);
    offset += 4;
    if (offset + length > raw.byteLength) {
      throw invalidArgument(`${label}: BYTES element ${elements.length} overruns the data`);
    }
    elements.push(raw.subarray(offset, offset + length));
    offset += length;
  }
  if (elements.length !== count) {
    throw invalidArgument(
      `${label}: expected ${count} BYTES elements for its shape, got ${elements.length}`,
    );
  }
  return elements;
}

/** Raw little-endian bytes of a tensor, sharing memory with it when it is numeric. */
export function toRawBytes(data: TensorData): Uint8Array {
  if (!Array.isArray(data)) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  const total = data.reduce((sum, element) => sum + 4 + element.byteLength, 0);
  const raw = new Uint8Array(total);
  const view = new DataView(raw.buffer);
  let offset = 0;
  for (const element of data) {
    view.setUint32(offset, element.byteLength, true);
    raw.set(element, offset + 4);
    offset += 4 + element.byteLength;
  }
  return raw;
}
