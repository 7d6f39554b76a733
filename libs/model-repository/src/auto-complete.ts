import { clone, create } from '@bufbuild/protobuf';
import {
  DataType,
  ModelConfigSchema,
  ModelInputSchema,
  ModelInstanceGroup_Kind,
  ModelOutputSchema,
} from '@contracts/generated/inference/model_config_pb';
import { KSERVE_DATATYPES } from '@contracts/kserve/datatype';
import type { ModelDefinition, TensorSpec } from './model-definition';
import {
  DEFAULT_MAX_BATCH_SIZE,
  datatypeOfOnnxType,
  type DeclaredSignature,
  type OnnxSignature,
  type OnnxTensor,
} from './onnx-signature';

/**
 * Triton's auto-complete of an ONNX model's signature: a config that leaves out its inputs or
 * outputs gets them from the model file (variable dims as -1); one that leaves out both, with
 * max_batch_size 0, and whose every tensor has a variable first dimension batches, up to
 * DEFAULT_MAX_BATCH_SIZE, as Triton sets it. A written-out signature is returned as it is (and
 * checked against the file by the caller).
 */
export function completeSignature<T extends DeclaredSignature>(written: T, onnx: OnnxSignature): T {
  const omitsInputs = written.inputs.length === 0;
  const omitsOutputs = written.outputs.length === 0;
  if (!omitsInputs && !omitsOutputs) return written;
  const batches =
    omitsInputs &&
    omitsOutputs &&
    written.maxBatchSize === 0 &&
    [...onnx.inputs, ...onnx.outputs].every(
      (tensor) => tensor.shape.length > 0 && !isFixed(tensor.shape[0]),
    );
  const maxBatchSize = batches ? DEFAULT_MAX_BATCH_SIZE : written.maxBatchSize;
  const specs = (side: 'input' | 'output', values: OnnxTensor[]): TensorSpec[] =>
    values.map((tensor) => specOf(side, tensor, maxBatchSize));
  return {
    ...written,
    maxBatchSize,
    inputs: omitsInputs ? specs('input', onnx.inputs) : written.inputs,
    outputs: omitsOutputs ? specs('output', onnx.outputs) : written.outputs,
  };
}

/**
 * completeSignature on a model definition read with `autoComplete`, with its `config` completed
 * too, which is what `/config` then answers, as Triton's does; `KIND_AUTO` instance groups become
 * `KIND_CPU`, what Triton reports on a machine without a GPU.
 */
export function autoCompleteOnnx(written: ModelDefinition, onnx: OnnxSignature): ModelDefinition {
  const autoKind = written.config.instanceGroup.some(
    (group) => group.kind === ModelInstanceGroup_Kind.AUTO,
  );
  const definition = completeSignature(written, onnx);
  if (definition === written && !autoKind) return written;

  const config = clone(ModelConfigSchema, written.config);
  config.maxBatchSize = definition.maxBatchSize;
  if (written.inputs.length === 0) {
    config.input = definition.inputs.map((spec) =>
      create(ModelInputSchema, { name: spec.name, dataType: dataTypeOf(spec), dims: dimsOf(spec) }),
    );
  }
  if (written.outputs.length === 0) {
    config.output = definition.outputs.map((spec) =>
      create(ModelOutputSchema, {
        name: spec.name,
        dataType: dataTypeOf(spec),
        dims: dimsOf(spec),
      }),
    );
  }
  for (const group of config.instanceGroup) {
    if (group.kind === ModelInstanceGroup_Kind.AUTO) group.kind = ModelInstanceGroup_Kind.CPU;
  }
  return { ...definition, config };
}

function specOf(side: string, tensor: OnnxTensor, maxBatchSize: number): TensorSpec {
  const datatype = datatypeOfOnnxType(tensor.type);
  if (datatype === undefined) {
    throw new Error(
      `cannot complete the config from the ONNX file: ${side} "${tensor.name}" (${tensor.type ?? 'not a tensor'}) has no KServe datatype`,
    );
  }
  const shape = maxBatchSize > 0 ? tensor.shape.slice(1) : tensor.shape;
  return { name: tensor.name, datatype, dims: shape.map((dim) => (isFixed(dim) ? dim : -1)) };
}

function isFixed(dim: number | string | undefined): dim is number {
  return typeof dim === 'number' && dim >= 0;
}

function dataTypeOf(spec: TensorSpec): DataType {
  return DataType[KSERVE_DATATYPES[spec.datatype].config as keyof typeof DataType];
}

function dimsOf(spec: TensorSpec): bigint[] {
  return spec.dims.map(BigInt);
}
