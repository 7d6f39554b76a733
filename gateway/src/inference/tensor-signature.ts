import { isKServeDatatype, type KServeDatatype } from '@contracts/kserve/datatype';
import { invalidArgument, type GatewayError } from '../errors/gateway-error';
import type { ModelMetadata, TensorMetadata } from '../request-path/inference-backend';
import { elementCount } from './tensor';

/** What a request says about one input before any of its elements is read. */
export interface TensorHeader {
  name: string;
  datatype: string;
  shape: readonly number[];
}

/** An input whose header matches the model: what decoding its elements may then cost. */
export interface CheckedInput {
  name: string;
  datatype: KServeDatatype;
  shape: number[];
  /** Elements its shape holds: the data must hold exactly these, and is checked for it. */
  count: number;
}

/**
 * The tensor precheck: a request's inputs and requested outputs against the served model's
 * signature (names, datatypes, ranks, dimensions, batch size; no input or output twice, none
 * missing), from their headers alone. Every front door runs it before decoding a single element,
 * so a request that cannot run costs what its header costs; the precheck stage (TensorWork) runs it again for
 * requests from any front door. Returns the inputs in request order with their element counts.
 */
export function checkSignature(
  metadata: ModelMetadata,
  inputs: readonly TensorHeader[],
  outputs: readonly string[],
): CheckedInput[] {
  const declared = new Map(metadata.inputs.map((input) => [input.name, input]));
  const seen = new Set<string>();
  let batch: number | undefined;
  const checked = inputs.map((input): CheckedInput => {
    const spec = declared.get(input.name);
    if (!spec) {
      throw invalidArgument(
        `unexpected input ${quoted(input.name)} for model '${metadata.name}'; expected ${names(metadata.inputs)}`,
      );
    }
    if (seen.has(input.name)) throw invalidArgument(`input '${input.name}' given twice`);
    seen.add(input.name);
    const checkedInput = checkInput(input, spec, metadata.maxBatchSize);
    if (metadata.maxBatchSize > 0) {
      if (batch !== undefined && checkedInput.shape[0] !== batch) {
        throw invalidArgument(
          `input '${input.name}' has batch size ${checkedInput.shape[0]} but other inputs have ${batch}`,
        );
      }
      batch = checkedInput.shape[0];
    }
    return checkedInput;
  });
  const missing = metadata.inputs.filter((input) => !seen.has(input.name));
  if (missing.length > 0) {
    throw invalidArgument(`missing input ${names(missing)} for model '${metadata.name}'`);
  }
  checkOutputs(metadata, outputs);
  return checked;
}

function checkInput(input: TensorHeader, spec: TensorMetadata, maxBatchSize: number): CheckedInput {
  const label = `input '${input.name}'`;
  if (!isKServeDatatype(input.datatype)) {
    throw invalidArgument(`${label}: unknown datatype ${quoted(input.datatype)}`);
  }
  if (input.datatype !== spec.datatype) {
    throw invalidArgument(
      `${label}: datatype ${input.datatype} does not match the model's ${spec.datatype}`,
    );
  }
  const expected = `[${spec.shape.join(',')}]`;
  const { shape } = input;
  if (shape.length !== spec.shape.length) {
    throw invalidArgument(
      `${label}: shape ${shownShape(shape)} has rank ${shape.length}, expected ${expected}`,
    );
  }
  shape.forEach((dim, axis) => {
    const want = spec.shape[axis];
    if (!Number.isInteger(dim) || dim < 0 || (want !== -1 && dim !== want)) {
      throw invalidArgument(`${label}: shape ${shownShape(shape)} does not match ${expected}`);
    }
  });
  if (maxBatchSize > 0 && (shape[0] < 1 || shape[0] > maxBatchSize)) {
    throw invalidArgument(`${label}: batch size ${shape[0]} is outside 1..${maxBatchSize}`);
  }
  return {
    name: input.name,
    datatype: input.datatype,
    shape: [...shape],
    count: elementCount(shape),
  };
}

function checkOutputs(metadata: ModelMetadata, outputs: readonly string[]): void {
  const declared = new Set(metadata.outputs.map((output) => output.name));
  const requested = new Set<string>();
  for (const output of outputs) {
    if (!declared.has(output)) {
      throw invalidArgument(
        `unknown output ${quoted(output)} for model '${metadata.name}'; expected ${names(metadata.outputs)}`,
      );
    }
    // Each copy of an output is another copy of its data in the answer: 150 of them turned a 2 MB
    // request into an 86 MB answer.
    if (requested.has(output)) {
      throw invalidArgument(`output '${output}' is requested more than once`);
    }
    requested.add(output);
  }
}

/** The refusal when a tensor's data does not hold the elements its (checked) shape needs. */
export function elementCountMismatch(
  label: string,
  shape: readonly number[],
  count: number,
  got: number | string,
): GatewayError {
  return invalidArgument(
    `${label}: shape ${shownShape(shape)} needs ${count} elements, got ${got}`,
  );
}

function names(tensors: readonly TensorMetadata[]): string {
  return tensors.map((tensor) => `'${tensor.name}'`).join(', ');
}

/** Longest caller-given name or datatype an error shows in full. */
const SHOWN_CHARACTERS = 64;

/** A caller-given string for an error: quoted, and cut when long (an error never echoes a body). */
export function quoted(value: string): string {
  if (value.length <= SHOWN_CHARACTERS) return `'${value}'`;
  return `'${value.slice(0, SHOWN_CHARACTERS)}…' (${value.length} characters)`;
}

/** Most dimensions an error lists; a shape may have thousands. */
const SHOWN_DIMENSIONS = 8;

export function shownShape(shape: readonly number[]): string {
  if (shape.length <= SHOWN_DIMENSIONS) return `[${shape.join(',')}]`;
  return `[${shape.slice(0, SHOWN_DIMENSIONS).join(',')},…] (${shape.length} dimensions)`;
}
