import { isKServeDatatype } from '@contracts/kserve/datatype';
import { z } from 'zod';
import { invalidArgument } from '../../errors/gateway-error';
import type { InferRequest, ModelMetadata } from '../../request-path/inference-backend';
import { runSliced } from '../../event-loop/sliced-work';
import { tensorOverRaw, type InferTensor } from '../../inference/tensor';
import {
  checkSignature,
  elementCountMismatch,
  quoted,
  type CheckedInput,
} from '../../inference/tensor-signature';
import { scanInferJson, type DataSpan } from './infer-json-scanner';
import { decodeJsonData } from './json-data-decoder';
import { classCountOf } from '../../inference/classification';

/**
 * Most bytes of JSON a request may carry outside its inputs' `data` (names, datatypes, shapes,
 * parameters, outputs): a few hundred in practice. Fixed, like the 64 KiB body limit of the
 * non-tensor routes: it bounds everything parsed into JavaScript values before the model check.
 */
export const MAX_TENSOR_HEADER_BYTES = 64 * 1024;

const parameters = z.record(z.string(), z.unknown()).optional();
const dimension = z
  .number()
  .int()
  .nonnegative()
  .max(2 ** 31 - 1);

// `data` is not here: the scanner cut every input's data out of the header (scanInferJson).
const headerSchema = z.object({
  id: z.string().optional(),
  parameters,
  inputs: z
    .array(
      z.object({
        name: z.string().min(1),
        shape: z.array(dimension),
        datatype: z.string(),
        parameters,
      }),
    )
    .min(1),
  outputs: z.array(z.object({ name: z.string().min(1), parameters })).optional(),
});

type HeaderJson = z.infer<typeof headerSchema>;

export interface ParsedInferBody {
  request: InferRequest;
  /** Output names to answer as binary data (the binary tensor data extension). */
  binaryOutputs: Set<string>;
}

/** Where an input's elements are: binary bytes after the JSON, or a `data` value inside it. */
type ElementSource = { binary: Uint8Array } | { json: DataSpan };

/**
 * Parses a KServe v2 REST infer body: plain JSON, or, with the binary tensor data extension, a JSON
 * header of `Inference-Header-Content-Length` bytes followed by the inputs' raw bytes in input order.
 * In this order, so that nothing is paid per element for a request the model cannot take: the JSON
 * is scanned (elements counted, not built), its header checked against `metadata` (names,
 * datatypes, shapes, element counts), and only then are elements decoded, in slices.
 */
export async function parseInferBody(
  body: Buffer,
  headerLength: string | undefined,
  target: { model: string; version: string; metadata: ModelMetadata },
): Promise<ParsedInferBody> {
  const jsonLength = headerLength === undefined ? body.byteLength : Number(headerLength);
  if (!Number.isInteger(jsonLength) || jsonLength < 0 || jsonLength > body.byteLength) {
    throw invalidArgument(
      `Inference-Header-Content-Length ${JSON.stringify(headerLength?.slice(0, 32))} must be an integer between 0 and the body size (${body.byteLength})`,
    );
  }
  const jsonBytes = body.subarray(0, jsonLength);
  const scanned = await runSliced(scanInferJson(jsonBytes, MAX_TENSOR_HEADER_BYTES));
  const json = parseHeader(scanned.header);
  const sources = elementSources(json, scanned.data, body.subarray(jsonLength));
  const outputs = (json.outputs ?? []).map((output) => output.name);
  const checked = checkSignature(target.metadata, json.inputs, outputs);

  const inputs: InferTensor[] = [];
  for (const [index, input] of checked.entries()) {
    inputs.push(await decodeInput(input, sources[index], jsonBytes));
  }
  const classCounts = classCountsOf(json);
  return {
    request: {
      model: target.model,
      version: target.version,
      id: json.id,
      inputs,
      outputs,
      ...(classCounts.size > 0 && { classCounts }),
    },
    binaryOutputs: binaryOutputNames(json),
  };
}

/** The classification extension: outputs asked for with `parameters.classification: N`. */
function classCountsOf(json: HeaderJson): Map<string, number> {
  const counts = new Map<string, number>();
  for (const output of json.outputs ?? []) {
    const value = output.parameters?.classification;
    if (value !== undefined) counts.set(output.name, classCountOf(output.name, value));
  }
  return counts;
}

function parseHeader(text: string): HeaderJson {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw invalidArgument(`request body is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = headerSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalidArgument(
      `invalid inference request at '${issue.path.join('.') || '(root)'}': ${issue.message}`,
    );
  }
  return parsed.data;
}

/** Each input's elements, with the binary layout checked: sizes known, every byte accounted for. */
function elementSources(
  json: HeaderJson,
  spans: ReadonlyMap<number, DataSpan>,
  binary: Uint8Array,
): ElementSource[] {
  let offset = 0;
  const sources = json.inputs.map((input, index): ElementSource => {
    const label = `input ${quoted(input.name)}`;
    if (!isKServeDatatype(input.datatype)) {
      throw invalidArgument(`${label}: unknown datatype ${quoted(input.datatype)}`);
    }
    const binarySize = input.parameters?.binary_data_size;
    if (binarySize !== undefined) {
      if (typeof binarySize !== 'number' || !Number.isInteger(binarySize) || binarySize < 0) {
        throw invalidArgument(`${label}: binary_data_size must be a non-negative integer`);
      }
      if (offset + binarySize > binary.byteLength) {
        throw invalidArgument(
          `${label}: binary_data_size ${binarySize} overruns the ${binary.byteLength - offset} binary bytes left in the body`,
        );
      }
      offset += binarySize;
      return { binary: binary.subarray(offset - binarySize, offset) };
    }
    const span = spans.get(index);
    if (!span) {
      throw invalidArgument(`${label} has neither 'data' nor a binary_data_size parameter`);
    }
    return { json: span };
  });
  if (offset !== binary.byteLength) {
    throw invalidArgument(
      `body has ${binary.byteLength - offset} bytes of binary data that no input's binary_data_size accounts for`,
    );
  }
  return sources;
}

async function decodeInput(
  input: CheckedInput,
  source: ElementSource,
  json: Uint8Array,
): Promise<InferTensor> {
  const label = `input '${input.name}'`;
  const { name, datatype, shape } = input;
  if ('binary' in source) {
    return runSliced(tensorOverRaw(label, name, datatype, shape, source.binary));
  }
  if (source.json.elements !== input.count) {
    throw elementCountMismatch(label, input.shape, input.count, source.json.elements);
  }
  const data = await runSliced(decodeJsonData(label, json, source.json, datatype, input.count));
  return { name, datatype, shape, data };
}

/** Which outputs go back as binary: per-output `binary_data`, else the request's `binary_data_output`. */
function binaryOutputNames(json: HeaderJson): Set<string> {
  const all = json.parameters?.binary_data_output === true;
  const names = new Set<string>();
  for (const output of json.outputs ?? []) {
    const own = output.parameters?.binary_data;
    if (own === true || (own === undefined && all)) names.add(output.name);
  }
  if (all && !json.outputs?.length) names.add('*');
  return names;
}
