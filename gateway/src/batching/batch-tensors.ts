import { GatewayError } from '../errors/gateway-error';
import type { InferRequest } from '../request-path/inference-backend';
import {
  BytesTensorData,
  elementCount,
  rawBytesOf,
  storageFor,
  type InferTensor,
  type TensorData,
} from '../inference/tensor';

/**
 * The members' inputs stacked along the batch dimension, one copy per input: each member's bytes
 * are written once into the batch tensor. The members share a compatibility key, so names,
 * datatypes and the non-batch dimensions agree.
 */
export function concatenateInputs(requests: readonly InferRequest[]): InferTensor[] {
  return requests[0].inputs.map(({ name, datatype, shape }) => {
    const parts = requests.map((request) => tensorNamed(request.inputs, name, 'input'));
    const total = parts.reduce((sum, part) => sum + part.shape[0], 0);
    const batchShape = [total, ...shape.slice(1)];
    return { name, datatype, shape: batchShape, data: concatenate(datatype, batchShape, parts) };
  });
}

function concatenate(
  datatype: InferTensor['datatype'],
  shape: number[],
  parts: readonly InferTensor[],
): TensorData {
  if (datatype === 'BYTES') {
    return BytesTensorData.concat(parts.map((part) => part.data as BytesTensorData));
  }
  const data = new (storageFor(datatype))(elementCount(shape));
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  let offset = 0;
  for (const part of parts) {
    const raw = rawBytesOf(part);
    bytes.set(raw, offset);
    offset += raw.byteLength;
  }
  return data;
}

/**
 * The batch's outputs cut back into one response per member, in member order: views into the batch
 * output (subarray), no copy. `sizes` are the members' batch sizes. A backend answer whose batch
 * dimension does not add up is the backend's fault and fails the whole batch.
 */
export function splitOutputs(
  outputs: readonly InferTensor[],
  sizes: readonly number[],
): InferTensor[][] {
  const total = sizes.reduce((sum, size) => sum + size, 0);
  const members: InferTensor[][] = sizes.map(() => []);
  for (const output of outputs) {
    if (output.shape[0] !== total || output.data.length !== elementCount(output.shape)) {
      throw new GatewayError(
        'internal',
        `backend returned output '${output.name}' with shape [${output.shape.join(',')}] for a batch of ${total}`,
      );
    }
    const rest = output.shape.slice(1);
    const perItem = elementCount(rest);
    const parts = split(
      output.data,
      sizes.map((size) => size * perItem),
    );
    sizes.forEach((size, index) => {
      members[index].push({
        name: output.name,
        datatype: output.datatype,
        shape: [size, ...rest],
        data: parts[index],
      });
    });
  }
  return members;
}

/** Consecutive parts of `counts` elements each, sharing memory with `data`. */
function split(data: TensorData, counts: readonly number[]): TensorData[] {
  if (data instanceof BytesTensorData) return data.split(counts);
  let start = 0;
  return counts.map((count) => {
    start += count;
    return data.subarray(start - count, start);
  });
}

function tensorNamed(tensors: readonly InferTensor[], name: string, kind: string): InferTensor {
  const tensor = tensors.find((candidate) => candidate.name === name);
  if (!tensor) throw new GatewayError('internal', `batch member lacks ${kind} '${name}'`);
  return tensor;
}
