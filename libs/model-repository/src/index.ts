export { type ArtifactDigest, sha256Artifact, sha256Directory, sha256File } from './artifact-hash';
export { EMBEDDED_BACKEND, modelFilename, resolvePlatformAndBackend } from './backends';
export { parseModelConfig } from './config-pbtxt';
export { parseLabels, readLabels } from './labels';
export { CONFIG_FILENAME, loadModel, loadModelRepository } from './load-repository';
export { ModelConfigError } from './model-config-error';
export { listModelDirectories } from './model-directories';
export {
  type DynamicBatchingSettings,
  fullShape,
  type ModelDefinition,
  type ModelRepositorySnapshot,
  type ModelVersionFiles,
  type RepositoryLoadError,
  type TensorSpec,
} from './model-definition';
export { interpretModelConfig, type InterpretedConfig } from './validate-config';
export {
  describeVersionPolicy,
  parseVersionDirectoryName,
  selectServedVersions,
  type VersionSelection,
} from './version-policy';
export type { ModelConfig } from '@contracts/generated/inference/model_config_pb';
export {
  DEFAULT_MAX_BATCH_SIZE,
  datatypeOfOnnxType,
  type DeclaredSignature,
  deriveOnnxModelConfig,
  onnxTypeOfDatatype,
  onnxSignatureOf,
  type OnnxSignature,
  type OnnxTensor,
  type OnnxValueMetadata,
  signatureMismatches,
} from './onnx-signature';
export { autoCompleteOnnx, completeSignature } from './auto-complete';
export { servingConfigText } from './serving-config';
