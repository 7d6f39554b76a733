import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { equals, fromBinary, toBinary } from '@bufbuild/protobuf';
import { toText } from '@bufbuild/protobuf/txtpb';
import {
  DataType,
  ModelConfigSchema,
  ModelInput_Format,
  ModelInstanceGroup_Kind,
  ModelQueuePolicy_TimeoutAction,
} from '@contracts/generated/inference/model_config_pb';
import { lineAndColumn, parseModelConfig } from './config-pbtxt';
import { ModelConfigError } from './model-config-error';

const FULL_CONFIG = `# A config using most of what real repositories write.
name: "detector"
platform: "onnxruntime_onnx"
max_batch_size: 8
version_policy: { latest: { num_versions: 2 } }
input [
  {
    name: "images"
    data_type: TYPE_FP32
    format: FORMAT_NCHW
    dims: [ 3, 416, 416 ]
  }
]
output [
  { name: "boxes", data_type: TYPE_FP32, dims: [ -1, 4 ] },
  { name: "classes" data_type: TYPE_INT64 dims: -1 label_filename: "labels.txt" }
]
dynamic_batching {
  preferred_batch_size: [ 4, 8 ]
  max_queue_delay_microseconds: 2000
  priority_levels: 2
  default_priority_level: 2
  default_queue_policy { timeout_action: REJECT default_timeout_microseconds: 50000 }
  priority_queue_policy { key: 1 value { timeout_action: DELAY max_queue_size: 16 allow_timeout_override: true } }
}
instance_group [ { count: 2 kind: KIND_CPU }, { kind: KIND_GPU gpus: [ 0, 1 ] } ]
optimization {
  graph { level: -1 }
  execution_accelerators { gpu_execution_accelerator: [ { name: "tensorrt" parameters { key: "precision_mode" value: "FP16" } } ] }
}
model_warmup [ { name: "zeros" batch_size: 1 inputs { key: "images" value { data_type: TYPE_FP32 dims: [ 3, 416, 416 ] zero_data: true } } } ]
parameters { key: "score_threshold" value: { string_value: "0.35" } }
parameters: [ { key: "nms_iou" value: { string_value: "0.6" } } ]
response_cache { enable: true }
`;

function parseError(text: string): ModelConfigError {
  try {
    parseModelConfig(text, '/repo/m/config.pbtxt');
  } catch (error) {
    if (error instanceof ModelConfigError) return error;
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

describe('parseModelConfig', () => {
  it('reads every part of a realistic config into the Triton schema', () => {
    const config = parseModelConfig(FULL_CONFIG, 'full.pbtxt');
    expect(config.name).toBe('detector');
    expect(config.maxBatchSize).toBe(8);
    expect(config.versionPolicy?.policyChoice).toEqual({
      case: 'latest',
      value: expect.objectContaining({ numVersions: 2 }),
    });
    expect(config.input[0].dataType).toBe(DataType.TYPE_FP32);
    expect(config.input[0].format).toBe(ModelInput_Format.NCHW);
    expect(config.input[0].dims).toEqual([3n, 416n, 416n]);
    expect(config.output.map((output) => output.dims)).toEqual([[-1n, 4n], [-1n]]);
    expect(config.output[1].labelFilename).toBe('labels.txt');
    expect(config.schedulingChoice.case).toBe('dynamicBatching');
    const batching =
      config.schedulingChoice.case === 'dynamicBatching'
        ? config.schedulingChoice.value
        : undefined;
    expect(batching?.preferredBatchSize).toEqual([4, 8]);
    expect(batching?.maxQueueDelayMicroseconds).toBe(2000n);
    expect(batching?.defaultQueuePolicy?.defaultTimeoutMicroseconds).toBe(50000n);
    expect(batching?.priorityQueuePolicy['1'].timeoutAction).toBe(
      ModelQueuePolicy_TimeoutAction.DELAY,
    );
    expect(batching?.priorityQueuePolicy['1'].maxQueueSize).toBe(16);
    expect(config.instanceGroup.map((group) => group.kind)).toEqual([
      ModelInstanceGroup_Kind.CPU,
      ModelInstanceGroup_Kind.GPU,
    ]);
    expect(config.instanceGroup[1].gpus).toEqual([0, 1]);
    expect(config.optimization?.graph?.level).toBe(-1);
    expect(
      config.optimization?.executionAccelerators?.gpuExecutionAccelerator[0].parameters,
    ).toEqual({ precision_mode: 'FP16' });
    expect(config.modelWarmup[0].inputs.images.inputDataType.case).toBe('zeroData');
    expect(
      Object.fromEntries(
        Object.entries(config.parameters).map(([key, value]) => [key, value.stringValue]),
      ),
    ).toEqual({
      score_threshold: '0.35',
      nms_iou: '0.6',
    });
    expect(config.responseCache?.enable).toBe(true);
  });

  it('survives text -> binary -> message and text -> text -> message unchanged', () => {
    const config = parseModelConfig(FULL_CONFIG, 'full.pbtxt');
    const viaBinary = fromBinary(ModelConfigSchema, toBinary(ModelConfigSchema, config));
    expect(equals(ModelConfigSchema, config, viaBinary)).toBe(true);
    const viaText = parseModelConfig(toText(ModelConfigSchema, config), 'printed.pbtxt');
    expect(equals(ModelConfigSchema, config, viaText)).toBe(true);
  });

  it('ignores a byte-order mark and accepts an empty file as an empty config', () => {
    expect(parseModelConfig('\uFEFFname: "x"', 'bom.pbtxt').name).toBe('x');
    expect(parseModelConfig('', 'empty.pbtxt').name).toBe('');
  });

  it('names the file, line and column of an unknown field', () => {
    const error = parseError('name: "m"\nplatform: "onnxruntime_onnx"\n  max_batch: 4\n');
    expect(error).toBeInstanceOf(ModelConfigError);
    expect([error.line, error.column]).toEqual([3, 3]);
    expect(error.message).toBe(
      '/repo/m/config.pbtxt:3:3: unknown field "max_batch" for message inference.ModelConfig',
    );
  });

  it('points at an unknown enum value inside a nested message', () => {
    const error = parseError(
      'name: "m"\ninput [\n  { name: "x" data_type: TYPE_FLOAT32 dims: [ 1 ] }\n]\n',
    );
    expect(error.detail).toContain('unknown enum value "TYPE_FLOAT32"');
    expect([error.line, error.column]).toEqual([3, 26]);
  });

  it('points at a value of the wrong type', () => {
    const error = parseError('name: "m"\nmax_batch_size: "eight"\n');
    expect(error.detail).toBe('expected an integer, got a string');
    expect([error.line, error.column]).toEqual([2, 17]);
  });

  it('points at a field given twice and at a second scheduling choice', () => {
    expect(parseError('max_batch_size: 1\nname: "m"\nmax_batch_size: 2').line).toBe(3);
    const oneof = parseError('dynamic_batching { }\nsequence_batching { }');
    expect(oneof.detail).toContain('oneof "scheduling_choice" is already set');
    expect([oneof.line, oneof.column]).toEqual([2, 1]);
  });

  it('points at a scalar field written without a colon', () => {
    const error = parseError('platform: "onnxruntime_onnx"\nname "m"\n');
    expect(error.detail).toBe('expected ":" before value of field "name"');
    expect([error.line, error.column]).toEqual([2, 1]);
  });

  it('reports an unclosed block at the end of the file', () => {
    const error = parseError('name: "m"\ninput [\n  { name: "x"\n');
    expect(error.detail).toContain('unexpected end of input');
    expect([error.line, error.column]).toEqual([3, 14]);
  });

  it('rejects a negative value for an unsigned field', () => {
    const error = parseError('version_policy {\n  latest { num_versions: -1 }\n}');
    expect(error.detail).toBe('an unsigned field does not accept a negative value');
    expect(error.line).toBe(2);
  });
});

describe('lineAndColumn', () => {
  it('counts from 1', () => {
    expect(lineAndColumn('ab\ncd', 0)).toEqual({ line: 1, column: 1 });
    expect(lineAndColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
  });
});

describe('the real triton-models/nanodet/config.pbtxt', () => {
  const file = join(__dirname, '../../../triton-models/nanodet/config.pbtxt');
  // Under CI a missing file is a failure, not a skip.
  const itWhenPresent = existsSync(file) || process.env.CI === 'true' ? it : it.skip;

  itWhenPresent('parses and survives a binary round trip', () => {
    const config = parseModelConfig(readFileSync(file, 'utf8'), file);
    expect(config.name === '' || config.name === 'nanodet').toBe(true);
    expect(config.input.length).toBeGreaterThan(0);
    expect(config.output.length).toBeGreaterThan(0);
    expect(
      equals(
        ModelConfigSchema,
        config,
        fromBinary(ModelConfigSchema, toBinary(ModelConfigSchema, config)),
      ),
    ).toBe(true);
  });
});
