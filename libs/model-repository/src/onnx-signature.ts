import { KSERVE_DATATYPES, type KServeDatatype } from '@contracts/kserve/datatype';
import type { TensorSpec } from './model-definition';

/** One input or output as ONNX Runtime reports it: a type name and dims, symbolic ones as strings. */
export interface OnnxTensor {
  name: string;
  /** ONNX Runtime's tensor type name, e.g. `float32`; undefined for a non-tensor value. */
  type: string | undefined;
  shape: readonly (number | string)[];
}

export interface OnnxSignature {
  inputs: OnnxTensor[];
  outputs: OnnxTensor[];
}

/** What ONNX Runtime says of one graph input or output (`InferenceSession.ValueMetadata`). */
export type OnnxValueMetadata =
  | { name: string; isTensor: true; type: string; shape: readonly (number | string)[] }
  | { name: string; isTensor: false };

/** A session's signature (`session.inputMetadata` / `outputMetadata`), non-tensors without a type. */
export function onnxSignatureOf(session: {
  inputMetadata: readonly OnnxValueMetadata[];
  outputMetadata: readonly OnnxValueMetadata[];
}): OnnxSignature {
  const describe = (values: readonly OnnxValueMetadata[]): OnnxTensor[] =>
    values.map((value) =>
      value.isTensor
        ? { name: value.name, type: value.type, shape: [...value.shape] }
        : { name: value.name, type: undefined, shape: [] },
    );
  return { inputs: describe(session.inputMetadata), outputs: describe(session.outputMetadata) };
}

/** ONNX Runtime tensor type → KServe datatype. BF16 has no ONNX Runtime JS type. */
const DATATYPE_BY_ORT_TYPE: Readonly<Record<string, KServeDatatype>> = {
  bool: 'BOOL',
  uint8: 'UINT8',
  uint16: 'UINT16',
  uint32: 'UINT32',
  uint64: 'UINT64',
  int8: 'INT8',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  float16: 'FP16',
  float32: 'FP32',
  float64: 'FP64',
  string: 'BYTES',
};

export function datatypeOfOnnxType(type: string | undefined): KServeDatatype | undefined {
  return type === undefined ? undefined : DATATYPE_BY_ORT_TYPE[type];
}

const ORT_TYPE_BY_DATATYPE: Readonly<Partial<Record<KServeDatatype, string>>> = Object.fromEntries(
  Object.entries(DATATYPE_BY_ORT_TYPE).map(([type, datatype]) => [datatype, type]),
);

/** KServe datatype → ONNX Runtime tensor type name; undefined for BF16 (no ONNX Runtime JS type). */
export function onnxTypeOfDatatype(datatype: KServeDatatype): string | undefined {
  return ORT_TYPE_BY_DATATYPE[datatype];
}

function isFixed(dim: number | string): dim is number {
  return typeof dim === 'number' && dim >= 0;
}

/** What the config must say about a model's signature, checked against the ONNX file. */
export interface DeclaredSignature {
  maxBatchSize: number;
  inputs: readonly TensorSpec[];
  outputs: readonly TensorSpec[];
}

/**
 * Every way `declared` (a config.pbtxt) disagrees with the ONNX file: a name missing on either
 * side, a datatype, a rank or a fixed dimension. Empty when the config describes the file.
 */
export function signatureMismatches(declared: DeclaredSignature, onnx: OnnxSignature): string[] {
  return [
    ...sideMismatches('input', declared.inputs, onnx.inputs, declared.maxBatchSize),
    ...sideMismatches('output', declared.outputs, onnx.outputs, declared.maxBatchSize),
  ];
}

function sideMismatches(
  side: 'input' | 'output',
  declared: readonly TensorSpec[],
  actual: readonly OnnxTensor[],
  maxBatchSize: number,
): string[] {
  const problems: string[] = [];
  const byName = new Map(actual.map((tensor) => [tensor.name, tensor]));
  for (const spec of declared) {
    const tensor = byName.get(spec.name);
    byName.delete(spec.name);
    if (tensor === undefined) {
      problems.push(`${side} "${spec.name}" is in the config but not in the ONNX file`);
      continue;
    }
    const datatype = datatypeOfOnnxType(tensor.type);
    if (datatype !== spec.datatype) {
      problems.push(
        `${side} "${spec.name}": the config says ${spec.datatype}, the ONNX file ${datatype ?? tensor.type ?? 'a non-tensor value'}`,
      );
      continue;
    }
    problems.push(...shapeMismatches(side, spec, tensor.shape, maxBatchSize));
  }
  // Triton lets a config omit outputs a caller never asks for, but not inputs the graph needs.
  if (side === 'input') {
    for (const name of byName.keys()) {
      problems.push(`input "${name}" of the ONNX file is missing from the config`);
    }
  }
  return problems;
}

function shapeMismatches(
  side: string,
  spec: TensorSpec,
  shape: readonly (number | string)[],
  maxBatchSize: number,
): string[] {
  let dims = shape;
  if (maxBatchSize > 0) {
    const [batch] = shape;
    if (batch === undefined || (isFixed(batch) && batch < maxBatchSize)) {
      return [
        `${side} "${spec.name}": max_batch_size ${maxBatchSize} needs a variable first dimension, the ONNX file has [${shape.join(', ')}]`,
      ];
    }
    dims = shape.slice(1);
  }
  if (dims.length !== spec.dims.length) {
    return [
      `${side} "${spec.name}": the config has ${spec.dims.length} dims [${spec.dims.join(', ')}], the ONNX file ${dims.length} [${dims.join(', ')}]${maxBatchSize > 0 ? ' after the batch dimension' : ''}`,
    ];
  }
  const differs = dims.some(
    (dim, index) => isFixed(dim) && spec.dims[index] !== -1 && spec.dims[index] !== dim,
  );
  return differs
    ? [
        `${side} "${spec.name}": the config has dims [${spec.dims.join(', ')}], the ONNX file [${dims.join(', ')}]`,
      ]
    : [];
}

/** Triton's own default when it completes a config whose model batches (`--backend-config default-max-batch-size`). */
export const DEFAULT_MAX_BATCH_SIZE = 4;

/**
 * A config.pbtxt for an ONNX file given without one, as Triton's auto-complete would derive it:
 * when every input and output has a variable first dimension the model batches (up to
 * DEFAULT_MAX_BATCH_SIZE), and the remaining dims are the file's, variable ones as -1.
 */
export function deriveOnnxModelConfig(modelName: string, onnx: OnnxSignature): string {
  const tensors = [...onnx.inputs, ...onnx.outputs];
  const unsupported = tensors.filter((tensor) => datatypeOfOnnxType(tensor.type) === undefined);
  if (unsupported.length > 0) {
    throw new Error(
      `cannot derive a config: ${unsupported.map((t) => `"${t.name}" (${t.type ?? 'not a tensor'})`).join(', ')} has no KServe datatype`,
    );
  }
  const batches = tensors.every((tensor) => tensor.shape.length > 0 && !isFixed(tensor.shape[0]));
  const maxBatchSize = batches ? DEFAULT_MAX_BATCH_SIZE : 0;
  const block = (tensor: OnnxTensor): string => {
    const dims = (batches ? tensor.shape.slice(1) : tensor.shape).map((dim) =>
      isFixed(dim) ? dim : -1,
    );
    const datatype = datatypeOfOnnxType(tensor.type) as KServeDatatype;
    return `  {\n    name: ${JSON.stringify(tensor.name)}\n    data_type: ${KSERVE_DATATYPES[datatype].config}\n    dims: [ ${dims.join(', ')} ]\n  }`;
  };
  return [
    `# Derived from the ONNX file's signature at registration (no config was given).`,
    `name: ${JSON.stringify(modelName)}`,
    `platform: "onnxruntime_onnx"`,
    `max_batch_size: ${maxBatchSize}`,
    `input [\n${onnx.inputs.map(block).join(',\n')}\n]`,
    `output [\n${onnx.outputs.map(block).join(',\n')}\n]`,
    '',
  ].join('\n');
}
