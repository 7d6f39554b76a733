import type { InferenceBackend, InferRequest } from '../request-path/inference-backend';

/**
 * Images a tensor call carries, for limits that count images: the batch size (first dimension of
 * the first input, at most max_batch_size) when the model batches, else 1. An unknown model or a
 * malformed shape counts 1; the precheck stage refuses those with a precise error.
 */
export function tensorCallImages(request: InferRequest, backend: InferenceBackend): number {
  let maxBatchSize: number;
  try {
    maxBatchSize = backend.resolve(request.model, '').metadata.maxBatchSize;
  } catch {
    return 1;
  }
  const batch = request.inputs[0]?.shape[0];
  // Capped: an absurd batch is refused by the precheck stage, after this count was charged.
  return maxBatchSize > 0 && Number.isSafeInteger(batch) && batch > 0
    ? Math.min(batch, maxBatchSize)
    : 1;
}
