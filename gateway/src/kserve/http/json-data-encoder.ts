import type { KServeDatatype } from '@contracts/kserve/datatype';
import { invalidArgument } from '../../errors/gateway-error';
import { BytesTensorData, type InferTensor, type NumericTensorData } from '../../inference/tensor';
import { YIELD_EVERY, type SlicedWork } from '../../event-loop/sliced-work';

/**
 * Most characters one element takes in a JSON answer, its comma included: numbers as
 * JSON.stringify writes them (-2.2250738585072014e-308 is 24; 64-bit integers go out as JSON
 * numbers, at most 20), BYTES per byte of content (a control byte is written \u00XX).
 */
const ELEMENT_BOUND: Record<Exclude<KServeDatatype, 'BYTES' | 'FP16' | 'BF16'>, number> = {
  BOOL: 6,
  UINT8: 4,
  UINT16: 6,
  UINT32: 11,
  UINT64: 21,
  INT8: 5,
  INT16: 7,
  INT32: 12,
  INT64: 21,
  FP32: 25,
  FP64: 25,
};
const BYTES_PER_CONTENT_BYTE = 6;
const BYTES_PER_STRING = 3;

/**
 * At most how many bytes `tensor` takes as JSON `data`, from its element count (and, for BYTES, its
 * content size) alone: what an answer may cost is known before any of it is written.
 */
export function jsonDataBound(tensor: InferTensor): number {
  const { datatype, data } = tensor;
  if (data instanceof BytesTensorData) {
    return data.contentBytes * BYTES_PER_CONTENT_BYTE + data.length * BYTES_PER_STRING + 2;
  }
  if (datatype === 'FP16' || datatype === 'BF16' || datatype === 'BYTES') {
    throw invalidArgument(
      `output '${tensor.name}' is ${datatype}: request it with the binary tensor data extension`,
    );
  }
  return data.length * ELEMENT_BOUND[datatype] + 2;
}

/**
 * A tensor's elements as a JSON array (64-bit integers as numbers), written a slice of elements
 * at a time into UTF-8 chunks.
 */
export function* encodeJsonData(tensor: InferTensor): SlicedWork<Buffer[]> {
  jsonDataBound(tensor); // refuses FP16/BF16 before anything is written
  const chunks: Buffer[] = [];
  const { data } = tensor;
  const slices =
    data instanceof BytesTensorData ? textSlices(data) : numberSlices(tensor.datatype, data);
  for (const values of slices) {
    const json = JSON.stringify(values);
    chunks.push(Buffer.from(chunks.length === 0 ? json.slice(0, -1) : `,${json.slice(1, -1)}`));
    yield;
  }
  chunks.push(Buffer.from(chunks.length === 0 ? '[]' : ']'));
  return chunks;
}

function* numberSlices(datatype: KServeDatatype, data: NumericTensorData): Generator<unknown[]> {
  for (let start = 0; start < data.length; start += YIELD_EVERY) {
    const part = data.subarray(start, Math.min(start + YIELD_EVERY, data.length));
    if (datatype === 'BOOL') yield Array.from(part as Uint8Array, (value) => value !== 0);
    else if (part instanceof BigInt64Array || part instanceof BigUint64Array) {
      yield Array.from(part, Number);
    } else yield Array.from(part as Float32Array);
  }
}

const decoder = new TextDecoder();
function* textSlices(data: BytesTensorData): Generator<string[]> {
  let texts: string[] = [];
  for (const element of data.elements()) {
    texts.push(decoder.decode(element));
    if (texts.length === YIELD_EVERY) {
      yield texts;
      texts = [];
    }
  }
  if (texts.length > 0) yield texts;
}
