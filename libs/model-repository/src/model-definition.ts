import type { ModelConfig } from '@contracts/generated/inference/model_config_pb';
import type { KServeDatatype } from '@contracts/kserve/datatype';

/** One input or output as declared in `config.pbtxt`. */
export interface TensorSpec {
  name: string;
  datatype: KServeDatatype;
  /** As written in the config: without the batch dimension when maxBatchSize > 0; -1 = variable. */
  dims: number[];
  labelFilename?: string;
}

/** One version directory and the artifact that serves it. */
export interface ModelVersionFiles {
  version: string;
  /** Absolute path of the version directory. */
  directory: string;
  /**
   * Absolute path of the model file (or model directory, e.g. a TensorFlow SavedModel). For
   * ensembles and backends without a known file name it is the version directory itself.
   */
  modelFile: string;
  /** sha256 (hex) of the file; for a directory, of its manifest (see `artifact-hash.ts`). */
  sha256: string;
  sizeBytes: number;
}

export interface DynamicBatchingSettings {
  /** Triton's rule: when the config lists none, the only preferred size is maxBatchSize. */
  preferredBatchSizes: number[];
  maxQueueDelayMicroseconds: number;
  preserveOrdering: boolean;
  /** 0 = priorities disabled. */
  priorityLevels: number;
  defaultPriorityLevel: number;
}

export interface ModelDefinition {
  name: string;
  /** Absolute path of the model directory. */
  directory: string;
  /** Normalised the way Triton does it: `onnxruntime` implies `onnxruntime_onnx` and vice versa. */
  platform: string;
  backend: string;
  maxBatchSize: number;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  /** Every version directory that holds its model file, ascending numeric order. */
  versions: ModelVersionFiles[];
  /** The versions `version_policy` selects, ascending numeric order (never empty). */
  servedVersions: string[];
  dynamicBatching?: DynamicBatchingSettings;
  /** From the first output with a `label_filename`. */
  labels?: string[];
  /** The full parsed configuration, exactly as written (no defaults filled in). */
  config: ModelConfig;
  /** `config.pbtxt` as read. */
  configText: string;
  /** Set when the embedded ONNX Runtime backend cannot serve this model (Triton still may). */
  unsupportedReason?: string;
  /** Things Triton tolerates but an operator should know (ignored directories, missing versions). */
  warnings?: string[];
}

export interface RepositoryLoadError {
  model: string;
  message: string;
}

export interface ModelRepositorySnapshot {
  /** Absolute path of the repository. */
  root: string;
  /** Sorted by name. */
  models: ModelDefinition[];
  errors: RepositoryLoadError[];
}

/** The shape a client sends: a leading -1 batch dimension when the model batches. */
export function fullShape(spec: TensorSpec, maxBatchSize: number): number[] {
  return maxBatchSize > 0 ? [-1, ...spec.dims] : [...spec.dims];
}
