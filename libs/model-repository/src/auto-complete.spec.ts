import { ModelInstanceGroup_Kind } from '@contracts/generated/inference/model_config_pb';
import { autoCompleteOnnx, completeSignature } from './auto-complete';
import { parseModelConfig } from './config-pbtxt';
import type { ModelDefinition } from './model-definition';
import type { OnnxSignature } from './onnx-signature';
import { interpretModelConfig } from './validate-config';

/** A detector-like file: a batch dimension named 'batch' on every tensor. */
const DETECTOR: OnnxSignature = {
  inputs: [{ name: 'images', type: 'float32', shape: ['batch', 3, 416, 416] }],
  outputs: [
    { name: 'scores', type: 'float32', shape: ['batch', 2704, 80] },
    { name: 'count', type: 'int64', shape: ['batch'] },
  ],
};

function definition(configText: string): ModelDefinition {
  const config = parseModelConfig(configText, 'config.pbtxt');
  const interpreted = interpretModelConfig(config, {
    directoryName: 'm',
    source: 'config.pbtxt',
    autoComplete: true,
  });
  return {
    ...interpreted,
    directory: '/repo/m',
    versions: [],
    servedVersions: ['1'],
    config,
    configText,
  };
}

describe("completeSignature / autoCompleteOnnx (Triton's auto-complete for ONNX)", () => {
  it('fills a config without a signature from the file and batches it up to 4, as Triton does', () => {
    const completed = autoCompleteOnnx(definition('platform: "onnxruntime_onnx"'), DETECTOR);
    expect(completed.maxBatchSize).toBe(4);
    expect(completed.inputs).toEqual([{ name: 'images', datatype: 'FP32', dims: [3, 416, 416] }]);
    expect(completed.outputs).toEqual([
      { name: 'scores', datatype: 'FP32', dims: [2704, 80] },
      { name: 'count', datatype: 'INT64', dims: [] },
    ]);
    // The config /config answers is the completed one.
    expect(completed.config.maxBatchSize).toBe(4);
    expect(completed.config.input.map((input) => [input.name, input.dims])).toEqual([
      ['images', [3n, 416n, 416n]],
    ]);
    expect(completed.config.output.map((output) => output.name)).toEqual(['scores', 'count']);
  });

  it('keeps a written max_batch_size and side, completing only the side left out', () => {
    const written = definition(
      'platform: "onnxruntime_onnx" max_batch_size: 8 input [ { name: "images" data_type: TYPE_FP32 dims: [ 3, 416, 416 ] } ]',
    );
    const completed = autoCompleteOnnx(written, DETECTOR);
    expect(completed.maxBatchSize).toBe(8);
    expect(completed.inputs).toBe(written.inputs);
    expect(completed.outputs.map((output) => output.dims)).toEqual([[2704, 80], []]);
  });

  it('does not batch a file with a fixed first dimension, and keeps variable dims as -1', () => {
    const fixed: OnnxSignature = {
      inputs: [{ name: 'x', type: 'uint8', shape: [1, 'h', 'w', 3] }],
      outputs: [{ name: 'y', type: 'float32', shape: [1, 10] }],
    };
    const completed = completeSignature({ maxBatchSize: 0, inputs: [], outputs: [] }, fixed);
    expect(completed).toEqual({
      maxBatchSize: 0,
      inputs: [{ name: 'x', datatype: 'UINT8', dims: [1, -1, -1, 3] }],
      outputs: [{ name: 'y', datatype: 'FP32', dims: [1, 10] }],
    });
  });

  it('returns a written-out definition untouched, and names a tensor it cannot describe', () => {
    const written = definition(
      'platform: "onnxruntime_onnx" input [ { name: "x" data_type: TYPE_FP32 dims: [ 2 ] } ] output [ { name: "y" data_type: TYPE_FP32 dims: [ 2 ] } ]',
    );
    expect(autoCompleteOnnx(written, DETECTOR)).toBe(written);
    const sequence: OnnxSignature = {
      inputs: [{ name: 'x', type: 'float32', shape: [2] }],
      outputs: [{ name: 'seq', type: undefined, shape: [] }],
    };
    expect(() => completeSignature({ maxBatchSize: 0, inputs: [], outputs: [] }, sequence)).toThrow(
      'output "seq" (not a tensor) has no KServe datatype',
    );
  });

  it('reports KIND_AUTO instance groups as KIND_CPU, what Triton says without a GPU', () => {
    const written = definition(
      'platform: "onnxruntime_onnx" instance_group [ { count: 2 kind: KIND_AUTO } ] input [ { name: "x" data_type: TYPE_FP32 dims: [ 2 ] } ] output [ { name: "y" data_type: TYPE_FP32 dims: [ 2 ] } ]',
    );
    const completed = autoCompleteOnnx(written, DETECTOR);
    expect(completed.config.instanceGroup.map((group) => [group.kind, group.count])).toEqual([
      [ModelInstanceGroup_Kind.CPU, 2],
    ]);
    // The parsed config it came from is not changed.
    expect(written.config.instanceGroup[0].kind).toBe(ModelInstanceGroup_Kind.AUTO);
  });
});
