import { type InterpretedConfig, type TensorSpec } from '@model-repository';
import { type ModelVersionEntity, type StoredTensorSpec } from './entities/model-version.entity';

export type VersionSignature = Pick<
  ModelVersionEntity,
  'platform' | 'backend' | 'maxBatchSize' | 'inputs' | 'outputs' | 'labels'
>;

/** The signature a version is registered with, from its interpreted config. */
export function signatureOf(
  config: Pick<
    InterpretedConfig,
    'platform' | 'backend' | 'maxBatchSize' | 'inputs' | 'outputs'
  > & {
    labels?: readonly string[] | null;
  },
): VersionSignature {
  return {
    platform: config.platform,
    backend: config.backend,
    maxBatchSize: config.maxBatchSize,
    inputs: config.inputs.map(storedTensorSpec),
    outputs: config.outputs.map(storedTensorSpec),
    labels: config.labels ? [...config.labels] : null,
  };
}

function storedTensorSpec({ name, datatype, dims }: TensorSpec): StoredTensorSpec {
  return { name, datatype, dims: [...dims] };
}
