import { isKServeDatatype } from '@contracts/kserve/datatype';
import { z } from 'zod';
import { invalidArgument } from '../../errors/gateway-error';
import type { InferRequest } from '../../inference/inference-backend';
import { fromRawBytes, type InferTensor } from '../../inference/tensor';
import { tensorDataFromJson } from './json-tensor-codec';

const parameters = z.record(z.string(), z.unknown()).optional();
const dimension = z
  .number()
  .int()
  .nonnegative()
  .max(2 ** 31 - 1);

const requestSchema = z.object({
  id: z.string().optional(),
  parameters,
  inputs: z
    .array(
      z.object({
        name: z.string().min(1),
        shape: z.array(dimension),
        datatype: z.string(),
        parameters,
        data: z.unknown().optional(),
      }),
    )
    .min(1),
  outputs: z.array(z.object({ name: z.string().min(1), parameters })).optional(),
});

type RequestJson = z.infer<typeof requestSchema>;

export interface ParsedInferBody {
  request: InferRequest;
  /** Output names to answer as binary data (the binary tensor data extension). */
  binaryOutputs: Set<string>;
}

/**
 * Parses a KServe v2 REST infer body: plain JSON, or, with the binary tensor data extension, a JSON
 * header of `Inference-Header-Content-Length` bytes followed by the inputs' raw bytes in input order.
 */
export function parseInferBody(
  body: Buffer,
  headerLength: string | undefined,
  model: string,
  version: string,
): ParsedInferBody {
  const jsonLength = headerLength === undefined ? body.byteLength : Number(headerLength);
  if (!Number.isInteger(jsonLength) || jsonLength < 0 || jsonLength > body.byteLength) {
    throw invalidArgument(
      `Inference-Header-Content-Length ${JSON.stringify(headerLength)} must be an integer between 0 and the body size (${body.byteLength})`,
    );
  }
  const json = parseJson(body.subarray(0, jsonLength));
  const binary = body.subarray(jsonLength);

  let offset = 0;
  const inputs: InferTensor[] = json.inputs.map((input) => {
    if (!isKServeDatatype(input.datatype)) {
      throw invalidArgument(`input '${input.name}': unknown datatype '${input.datatype}'`);
    }
    const binarySize = input.parameters?.binary_data_size;
    if (binarySize !== undefined) {
      if (typeof binarySize !== 'number' || !Number.isInteger(binarySize) || binarySize < 0) {
        throw invalidArgument(
          `input '${input.name}': binary_data_size must be a non-negative integer`,
        );
      }
      if (offset + binarySize > binary.byteLength) {
        throw invalidArgument(
          `input '${input.name}': binary_data_size ${binarySize} overruns the ${binary.byteLength - offset} binary bytes left in the body`,
        );
      }
      const raw = binary.subarray(offset, offset + binarySize);
      offset += binarySize;
      return {
        name: input.name,
        datatype: input.datatype,
        shape: input.shape,
        data: fromRawBytes(`input '${input.name}'`, input.datatype, input.shape, raw),
      };
    }
    if (input.data === undefined) {
      throw invalidArgument(
        `input '${input.name}' has neither 'data' nor a binary_data_size parameter`,
      );
    }
    return {
      name: input.name,
      datatype: input.datatype,
      shape: input.shape,
      data: tensorDataFromJson(input.name, input.datatype, input.shape, input.data),
    };
  });
  if (offset !== binary.byteLength) {
    throw invalidArgument(
      `body has ${binary.byteLength - offset} bytes of binary data that no input's binary_data_size accounts for`,
    );
  }

  return {
    request: {
      model,
      version,
      id: json.id,
      inputs,
      outputs: (json.outputs ?? []).map((output) => output.name),
    },
    binaryOutputs: binaryOutputNames(json),
  };
}

function parseJson(bytes: Buffer): RequestJson {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw invalidArgument(`request body is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = requestSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalidArgument(
      `invalid inference request at '${issue.path.join('.') || '(root)'}': ${issue.message}`,
    );
  }
  return parsed.data;
}

/** Which outputs go back as binary: per-output `binary_data`, else the request's `binary_data_output`. */
function binaryOutputNames(json: RequestJson): Set<string> {
  const all = json.parameters?.binary_data_output === true;
  const names = new Set<string>();
  for (const output of json.outputs ?? []) {
    const own = output.parameters?.binary_data;
    if (own === true || (own === undefined && all)) names.add(output.name);
  }
  if (all && !json.outputs?.length) names.add('*');
  return names;
}
