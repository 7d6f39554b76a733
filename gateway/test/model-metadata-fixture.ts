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
 * A backend that serves `models` on one embedded endpoint and runs nothing: for unit tests of the
 * steps before the backend call (routing, admission, batching).
 */
export function plainBackend(...models: ModelMetadata[]): InferenceBackend {
  const byName = new Map(models.map((metadata) => [metadata.name, metadata]));
  return {
    resolve: (model: string, version: string) => {
      const metadata = byName.get(model);
      if (!metadata) throw new Error(`plainBackend serves no model '${model}'`);
      return servedVersion(metadata, version);
    },
    listModels: () => models,
    topology: () => ({
      healthyEndpoints: 1,
      instancesPerEndpoint: 1,
      remote: false,
      batchesItself: false,
    }),
  } as unknown as InferenceBackend;
}
