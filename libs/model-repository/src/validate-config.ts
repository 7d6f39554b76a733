import {
  DataType,
  DataTypeSchema,
  type ModelConfig,
  type ModelDynamicBatching,
  ModelInput_Format,
  ModelInput_FormatSchema,
  ModelInstanceGroup_Kind,
} from '@contracts/generated/inference/model_config_pb';
import { datatypeFromConfigType } from '@contracts/kserve/datatype';
import { EMBEDDED_BACKEND, modelFilename, resolvePlatformAndBackend } from './backends';
import { ModelConfigError } from './model-config-error';
import type { DynamicBatchingSettings, TensorSpec } from './model-definition';

/** What the gateway needs from a config, checked and in plain numbers. */
export interface InterpretedConfig {
  name: string;
  platform: string;
  backend: string;
  maxBatchSize: number;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  dynamicBatching?: DynamicBatchingSettings;
  /** Artifact name inside a version directory; undefined: the directory itself. */
  modelFilename?: string;
  unsupportedReason?: string;
  warnings: string[];
}

export interface ConfigContext {
  /** The model's directory name, which Triton requires `name` to equal. */
  directoryName: string;
  /** Where the config came from, for error messages. */
  source: string;
  /** Backend detected from the files when the config names neither platform nor backend. */
  inferredBackend?: string;
  /**
   * Triton's auto-complete (on by default in Triton): an ONNX model's config may leave out its
   * inputs or outputs, which the serving backend then reads from the model file
   * (`auto-complete.ts`). Off: both must be written out (registration checks a config as given).
   */
  autoComplete?: boolean;
}

interface IoDeclaration {
  name: string;
  dataType: DataType;
  dims: bigint[];
  labelFilename?: string;
  format?: ModelInput_Format;
}

/**
 * Checks the rules Triton enforces on the parts of a config the gateway relies on and returns
 * them in plain numbers. All problems are reported at once in one ModelConfigError naming the
 * model and the field.
 */
export function interpretModelConfig(
  config: ModelConfig,
  context: ConfigContext,
): InterpretedConfig {
  const problems: string[] = [];
  const warnings: string[] = [];
  const name = config.name === '' ? context.directoryName : config.name;
  if (name !== context.directoryName) {
    problems.push(`name "${config.name}" does not match its directory "${context.directoryName}"`);
  }

  let platform = config.platform;
  let backend = config.backend;
  const resolved = resolvePlatformAndBackend(platform, backend, context.inferredBackend);
  if ('problem' in resolved) problems.push(resolved.problem);
  else ({ platform, backend } = resolved);

  const maxBatchSize = config.maxBatchSize;
  if (maxBatchSize < 0) problems.push(`max_batch_size must be >= 0 (got ${maxBatchSize})`);

  // Only ONNX Runtime can be asked for the signature here; Triton completes other backends itself.
  const completes = context.autoComplete === true && backend === EMBEDDED_BACKEND;
  const inputs = tensorSpecs('input', config.input, completes, problems);
  const outputs = tensorSpecs('output', config.output, completes, problems);

  let dynamicBatching: DynamicBatchingSettings | undefined;
  if (config.schedulingChoice.case === 'dynamicBatching') {
    dynamicBatching = batchingSettings(config.schedulingChoice.value, maxBatchSize, problems);
    if (maxBatchSize === 0) warnings.push('dynamic_batching has no effect with max_batch_size 0');
  }

  for (const [field, value] of [
    ['default_model_filename', config.defaultModelFilename],
    ...config.output.map((output, index) => [
      `output[${index}].label_filename`,
      output.labelFilename,
    ]),
  ]) {
    if (value !== '' && !isPlainRelativePath(value)) {
      problems.push(`${field} "${value}" must be a relative path inside the model directory`);
    }
  }

  if (problems.length > 0) {
    throw new ModelConfigError(context.source, `model "${name}": ${problems.join('; ')}`);
  }
  const pair = { platform, backend };
  return {
    name,
    platform,
    backend,
    maxBatchSize,
    inputs,
    outputs,
    dynamicBatching,
    modelFilename: modelFilename(config.defaultModelFilename, pair),
    unsupportedReason: embeddedUnsupportedReason(config, backend),
    warnings,
  };
}

function tensorSpecs(
  kind: 'input' | 'output',
  declared: IoDeclaration[],
  completes: boolean,
  problems: string[],
): TensorSpec[] {
  if (declared.length === 0 && !completes) {
    problems.push(`declares no ${kind}s (write them out: they are checked against the model file)`);
  }
  const seen = new Set<string>();
  const specs: TensorSpec[] = [];
  declared.forEach((io, index) => {
    const field = io.name === '' ? `${kind}[${index}]` : `${kind} "${io.name}"`;
    const before = problems.length;
    if (io.name === '') problems.push(`${field}: must specify 'name'`);
    else if (seen.has(io.name)) problems.push(`${field}: declared twice`);
    seen.add(io.name);

    // The proto spelling (TYPE_FP32), which is what the KServe table is keyed by.
    const typeName = DataTypeSchema.value[io.dataType]?.name as string | undefined;
    const datatype = typeName === undefined ? undefined : datatypeFromConfigType(typeName);
    if (io.dataType === DataType.TYPE_INVALID) problems.push(`${field}: must specify 'data_type'`);
    else if (datatype === undefined) problems.push(`${field}: unknown data_type ${io.dataType}`);

    if (io.dims.length === 0) problems.push(`${field}: must specify 'dims'`);
    const dims = io.dims.map(Number);
    if (io.dims.some((dim) => dim === 0n || dim < -1n || dim > BigInt(Number.MAX_SAFE_INTEGER))) {
      problems.push(
        `${field}: each of dims [${io.dims.join(', ')}] must be >= 1, or -1 for a variable size`,
      );
    }
    if (
      (io.format === ModelInput_Format.NCHW || io.format === ModelInput_Format.NHWC) &&
      io.dims.length !== 3
    ) {
      problems.push(
        `${field}: format ${ModelInput_FormatSchema.value[io.format].name} requires exactly 3 dims`,
      );
    }
    if (problems.length === before && datatype !== undefined) {
      const spec: TensorSpec = { name: io.name, datatype, dims };
      if (io.labelFilename) spec.labelFilename = io.labelFilename;
      specs.push(spec);
    }
  });
  return specs;
}

function batchingSettings(
  batching: ModelDynamicBatching,
  maxBatchSize: number,
  problems: string[],
): DynamicBatchingSettings {
  for (const size of batching.preferredBatchSize) {
    if (size <= 0 || size > maxBatchSize) {
      problems.push(
        `dynamic_batching.preferred_batch_size ${size} must be between 1 and max_batch_size (${maxBatchSize})`,
      );
    }
  }
  const levels = batching.priorityLevels;
  if (levels !== 0n) {
    const fallback = batching.defaultPriorityLevel;
    if (fallback === 0n || fallback > levels) {
      problems.push(
        `dynamic_batching.default_priority_level ${fallback} must be in [1, ${levels}] (priority_levels)`,
      );
    }
    for (const key of Object.keys(batching.priorityQueuePolicy)) {
      const level = BigInt(key);
      if (level === 0n || level > levels) {
        problems.push(
          `dynamic_batching.priority_queue_policy key ${key} must be in [1, ${levels}] (priority_levels)`,
        );
      }
    }
  }
  if (batching.preserveOrdering && levels > 1n) {
    problems.push('dynamic_batching.preserve_ordering allows only one priority level');
  }
  const delay = batching.maxQueueDelayMicroseconds;
  if (delay > BigInt(Number.MAX_SAFE_INTEGER)) {
    problems.push(`dynamic_batching.max_queue_delay_microseconds ${delay} is out of range`);
  }
  return {
    preferredBatchSizes:
      batching.preferredBatchSize.length > 0
        ? [...batching.preferredBatchSize]
        : maxBatchSize > 0
          ? [maxBatchSize]
          : [],
    maxQueueDelayMicroseconds: Number(delay),
    preserveOrdering: batching.preserveOrdering,
    priorityLevels: Number(levels),
    defaultPriorityLevel: Number(batching.defaultPriorityLevel),
  };
}

/** Why the in-process ONNX Runtime backend cannot serve this model, if it cannot. */
function embeddedUnsupportedReason(config: ModelConfig, backend: string): string | undefined {
  if (backend !== EMBEDDED_BACKEND) {
    const what = config.platform ? `platform "${config.platform}"` : `backend "${backend}"`;
    return `${what} needs Triton: the embedded backend runs ONNX Runtime models only`;
  }
  const reasons: string[] = [];
  if (config.schedulingChoice.case === 'sequenceBatching') reasons.push('sequence_batching');
  if (config.schedulingChoice.case === 'ensembleScheduling') reasons.push('ensemble_scheduling');
  if (config.modelTransactionPolicy?.decoupled) reasons.push('decoupled transactions');
  if (config.batchInput.length > 0 || config.batchOutput.length > 0)
    reasons.push('batch_input/batch_output');
  if ([...config.input, ...config.output].some((io) => io.reshape !== undefined))
    reasons.push('reshape');
  // Triton refuses KIND_GPU where it finds no GPU; running it on the CPU while /config says GPU
  // would mislead whoever sized the deployment.
  if (config.instanceGroup.some((group) => group.kind === ModelInstanceGroup_Kind.GPU))
    reasons.push(
      'instance_group kind KIND_GPU (it runs models on the CPU: use KIND_CPU or KIND_AUTO)',
    );
  return reasons.length > 0
    ? `the embedded backend does not implement ${reasons.join(', ')}; use Triton`
    : undefined;
}

/** A path that stays inside the directory it is relative to. */
export function isPlainRelativePath(value: string): boolean {
  if (value.startsWith('/') || value.startsWith('\\') || /^[A-Za-z]:/.test(value)) return false;
  return value.split(/[\\/]/).every((segment) => segment !== '..' && segment !== '');
}
