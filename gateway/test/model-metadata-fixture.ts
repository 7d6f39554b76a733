import type { ModelMetadata } from '../src/inference/inference-backend';

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
