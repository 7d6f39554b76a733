import type { InferenceBackend, ModelMetadata } from '../src/request-path/inference-backend';
import { servedVersion } from '../src/inference/resolve-version';

/**
 * A model named `m` with no inputs, outputs or batching: for unit tests of steps that read only
 * its name, versions and config (admission, routing). `versions` ascending, as backends give them.
 */
export function plainModelMetadata(versions: string[] = ['1']): ModelMetadata {
  return {
    name: 'm',
    versions,
    platform: 'onnxruntime_onnx',
    inputs: [],
    outputs: [],
    maxBatchSize: 0,
    parameters: {},
    config: {},
  } as unknown as ModelMetadata;
}

/**
 * A backend that serves `metadata` on one embedded endpoint and runs nothing: for unit tests of the
 * steps before the backend call (routing, admission).
 */
export function plainBackend(metadata: ModelMetadata): InferenceBackend {
  return {
    resolve: (_model: string, version: string) => servedVersion(metadata, version),
    listModels: () => [metadata],
    topology: () => ({
      healthyEndpoints: 1,
      instancesPerEndpoint: 1,
      remote: false,
      batchesItself: false,
    }),
  } as unknown as InferenceBackend;
}
