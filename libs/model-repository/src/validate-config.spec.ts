import { parseModelConfig } from './config-pbtxt';
import { ModelConfigError } from './model-config-error';
import { interpretModelConfig, isPlainRelativePath } from './validate-config';

const IO = `
input [ { name: "images" data_type: TYPE_FP32 format: FORMAT_NCHW dims: [ 3, 416, 416 ] } ]
output [ { name: "scores" data_type: TYPE_FP16 dims: [ -1, 80 ] label_filename: "labels.txt" } ]
`;

function interpret(text: string, directoryName = 'm', inferredBackend?: string) {
  return interpretModelConfig(parseModelConfig(text, '/repo/m/config.pbtxt'), {
    directoryName,
    source: '/repo/m/config.pbtxt',
    inferredBackend,
  });
}

function problem(text: string, directoryName = 'm'): string {
  try {
    interpret(text, directoryName);
  } catch (error) {
    expect(error).toBeInstanceOf(ModelConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the config to be rejected');
}

describe('interpretModelConfig', () => {
  it('turns a valid ONNX config into tensor specs with KServe datatypes', () => {
    const result = interpret(`name: "m" platform: "onnxruntime_onnx" max_batch_size: 8 ${IO}`);
    expect(result).toMatchObject({
      name: 'm',
      platform: 'onnxruntime_onnx',
      backend: 'onnxruntime',
      maxBatchSize: 8,
    });
    expect(result.inputs).toEqual([{ name: 'images', datatype: 'FP32', dims: [3, 416, 416] }]);
    expect(result.outputs).toEqual([
      { name: 'scores', datatype: 'FP16', dims: [-1, 80], labelFilename: 'labels.txt' },
    ]);
    expect(result.modelFilename).toBe('model.onnx');
    expect(result.unsupportedReason).toBeUndefined();
    expect(result.dynamicBatching).toBeUndefined();
  });

  it('takes the directory name when name is empty, and fills platform from backend', () => {
    const result = interpret(`backend: "onnxruntime" ${IO}`, 'detector');
    expect(result).toMatchObject({
      name: 'detector',
      platform: 'onnxruntime_onnx',
      backend: 'onnxruntime',
    });
  });

  it('uses the backend detected from the files when the config names neither', () => {
    expect(interpret(IO, 'm', 'onnxruntime').platform).toBe('onnxruntime_onnx');
    expect(problem(IO)).toContain("must specify 'platform' or 'backend'");
  });

  it('honours default_model_filename', () => {
    expect(
      interpret(`platform: "onnxruntime_onnx" default_model_filename: "detector.onnx" ${IO}`)
        .modelFilename,
    ).toBe('detector.onnx');
  });

  it('rejects a name that differs from the directory, naming both', () => {
    expect(problem(`name: "other" platform: "onnxruntime_onnx" ${IO}`)).toBe(
      '/repo/m/config.pbtxt: model "other": name "other" does not match its directory "m"',
    );
  });

  it('lists models other backends serve, flagged for Triton', () => {
    const trt = interpret(`platform: "tensorrt_plan" ${IO}`);
    expect(trt).toMatchObject({ backend: 'tensorrt', modelFilename: 'model.plan' });
    expect(trt.unsupportedReason).toMatch(/tensorrt_plan.*needs Triton/);
    const python = interpret(`backend: "python" ${IO}`);
    expect(python).toMatchObject({ platform: '', modelFilename: 'model.py' });
    expect(python.unsupportedReason).toContain('backend "python"');
    const custom = interpret(`backend: "my_custom" ${IO}`);
    expect(custom.modelFilename).toBeUndefined();
    const ensemble = interpret(
      `platform: "ensemble" ensemble_scheduling { step [ { model_name: "a" } ] } ${IO}`,
    );
    expect(ensemble).toMatchObject({ backend: '', modelFilename: undefined });
    expect(ensemble.unsupportedReason).toBeDefined();
    expect(interpret(`platform: "tensorflow_savedmodel" ${IO}`).modelFilename).toBe(
      'model.savedmodel',
    );
  });

  it('flags ONNX features the embedded backend does not implement', () => {
    const result = interpret(
      `platform: "onnxruntime_onnx" max_batch_size: 2 sequence_batching { } ${IO}`,
    );
    expect(result.unsupportedReason).toContain('sequence_batching');
  });

  it('refuses KIND_GPU on the embedded backend and takes KIND_CPU and KIND_AUTO', () => {
    const group = (kind: string) =>
      interpret(`platform: "onnxruntime_onnx" instance_group [ { count: 1 kind: ${kind} } ] ${IO}`)
        .unsupportedReason;
    expect(group('KIND_GPU')).toMatch(/KIND_GPU.*CPU/);
    expect(group('KIND_CPU')).toBeUndefined();
    expect(group('KIND_AUTO')).toBeUndefined();
  });

  it('rejects platform/backend pairs Triton rejects', () => {
    expect(problem(`platform: "onnxruntime_onnx" backend: "tensorrt" ${IO}`)).toContain(
      'platform "onnxruntime_onnx" does not go with backend "tensorrt"',
    );
    expect(problem(`platform: "ensemble" backend: "python" ${IO}`)).toContain(
      "ensemble must leave 'backend' empty",
    );
    expect(problem(`platform: "caffe2_netdef" ${IO}`)).toContain(
      'unknown platform "caffe2_netdef"',
    );
  });

  it('reports every tensor problem at once, naming model and field', () => {
    const message = problem(`
      name: "m" platform: "onnxruntime_onnx" max_batch_size: -1
      input [
        { data_type: TYPE_FP32 dims: [ 1 ] },
        { name: "a" dims: [ 1 ] },
        { name: "b" data_type: TYPE_FP32 },
        { name: "c" data_type: TYPE_FP32 dims: [ 0, -2 ] },
        { name: "d" data_type: TYPE_FP32 format: FORMAT_NHWC dims: [ 416, 416 ] },
        { name: "d" data_type: TYPE_FP32 dims: [ 1 ] }
      ]
      output [ { name: "o" data_type: TYPE_FP32 dims: [ 1 ] label_filename: "../secrets" } ]
      default_model_filename: "/etc/passwd"
    `);
    expect(message).toContain('model "m": ');
    for (const expected of [
      'max_batch_size must be >= 0 (got -1)',
      "input[0]: must specify 'name'",
      `input "a": must specify 'data_type'`,
      `input "b": must specify 'dims'`,
      'input "c": each of dims [0, -2] must be >= 1, or -1 for a variable size',
      'input "d": format FORMAT_NHWC requires exactly 3 dims',
      'input "d": declared twice',
      'output[0].label_filename "../secrets" must be a relative path inside the model directory',
      'default_model_filename "/etc/passwd" must be a relative path',
    ]) {
      expect(message).toContain(expected);
    }
  });

  it('requires inputs and outputs to be written out unless auto-complete may read the ONNX file', () => {
    expect(problem('platform: "onnxruntime_onnx"')).toMatch(
      /declares no inputs.*declares no outputs/,
    );
    const completed = interpretModelConfig(parseModelConfig('platform: "onnxruntime_onnx"', 'c'), {
      directoryName: 'm',
      source: 'c',
      autoComplete: true,
    });
    expect([completed.inputs, completed.outputs]).toEqual([[], []]);
    // Triton completes other backends itself: the gateway cannot read their signature.
    expect(() =>
      interpretModelConfig(parseModelConfig('platform: "tensorflow_savedmodel"', 'c'), {
        directoryName: 'm',
        source: 'c',
        autoComplete: true,
      }),
    ).toThrow(/declares no inputs/);
  });

  it('reads dynamic batching, defaulting preferred sizes to max_batch_size like Triton', () => {
    const explicit = interpret(`
      platform: "onnxruntime_onnx" max_batch_size: 8 ${IO}
      dynamic_batching { preferred_batch_size: [ 4, 8 ] max_queue_delay_microseconds: 2000 preserve_ordering: true }`);
    expect(explicit.dynamicBatching).toEqual({
      preferredBatchSizes: [4, 8],
      maxQueueDelayMicroseconds: 2000,
      preserveOrdering: true,
      priorityLevels: 0,
      defaultPriorityLevel: 0,
    });
    const implicit = interpret(`platform: "onnxruntime_onnx" max_batch_size: 16 ${IO}
      dynamic_batching { priority_levels: 3 default_priority_level: 2 priority_queue_policy { key: 3 value { } } }`);
    expect(implicit.dynamicBatching).toMatchObject({
      preferredBatchSizes: [16],
      priorityLevels: 3,
      defaultPriorityLevel: 2,
    });
  });

  it('rejects dynamic batching settings Triton rejects', () => {
    const message = problem(`platform: "onnxruntime_onnx" max_batch_size: 4 ${IO}
      dynamic_batching {
        preferred_batch_size: [ 0, 8 ] priority_levels: 2 default_priority_level: 3 preserve_ordering: true
        priority_queue_policy { key: 5 value { } }
      }`);
    expect(message).toContain('preferred_batch_size 0 must be between 1 and max_batch_size (4)');
    expect(message).toContain('preferred_batch_size 8 must be between 1 and max_batch_size (4)');
    expect(message).toContain('default_priority_level 3 must be in [1, 2]');
    expect(message).toContain('priority_queue_policy key 5 must be in [1, 2]');
    expect(message).toContain('preserve_ordering allows only one priority level');
  });

  it('warns that dynamic batching does nothing without batching', () => {
    const result = interpret(
      `platform: "onnxruntime_onnx" max_batch_size: 0 ${IO} dynamic_batching { }`,
    );
    expect(result.warnings).toEqual(['dynamic_batching has no effect with max_batch_size 0']);
    expect(result.dynamicBatching?.preferredBatchSizes).toEqual([]);
  });
});

describe('isPlainRelativePath', () => {
  it.each(['labels.txt', 'sub/labels.txt', 'a-b_c.onnx'])('accepts %s', (path) => {
    expect(isPlainRelativePath(path)).toBe(true);
  });
  it.each(['/abs', '../up', 'a/../../b', 'C:\\x', '\\\\server\\share', 'a//b', ''])(
    'rejects "%s"',
    (path) => {
      expect(isPlainRelativePath(path)).toBe(false);
    },
  );
});
