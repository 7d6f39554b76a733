import type { InferRequest } from '../request-path/inference-backend';

/**
 * Requests may share a batch only when the batch tensor can hold them all: the same inputs with the
 * same datatypes and the same dimensions after the batch dimension, and the same outputs asked for.
 * Requests with different keys go to different batches. Model and version are the batcher's own.
 */
export function compatibilityKey(request: InferRequest): string {
  // JSON, so no tensor name can make two different requests look alike.
  const inputs = request.inputs
    .map((tensor) => [tensor.name, tensor.datatype, tensor.shape.slice(1)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const outputs = request.outputs.length === 0 ? null : [...request.outputs].sort();
  return JSON.stringify([inputs, outputs]);
}

/**
 * The request's size along the batch dimension (images, for a detector). The precheck stage has
 * already checked that every input agrees and that it is within the model's max_batch_size.
 */
export function batchSizeOf(request: InferRequest): number {
  return request.inputs[0]?.shape[0] ?? 0;
}
