import type { InferResponse } from '../../inference/inference-backend';
import { toRawBytes } from '../../inference/tensor';
import { tensorDataToJson } from './json-tensor-codec';

export interface EncodedInferResponse {
  body: Buffer;
  /** Set when binary outputs follow the JSON header (the binary tensor data extension). */
  headerLength?: number;
}

/** Encodes a KServe v2 REST infer response, appending binary outputs after the JSON when asked. */
export function encodeInferResponse(
  response: InferResponse,
  binaryOutputs: Set<string>,
): EncodedInferResponse {
  const chunks: Uint8Array[] = [];
  const outputs = response.outputs.map((output) => {
    const base = { name: output.name, datatype: output.datatype, shape: output.shape };
    if (binaryOutputs.has('*') || binaryOutputs.has(output.name)) {
      const raw = toRawBytes(output.data);
      chunks.push(raw);
      return { ...base, parameters: { binary_data_size: raw.byteLength } };
    }
    return { ...base, data: tensorDataToJson(output.name, output.datatype, output.data) };
  });
  const header = Buffer.from(
    JSON.stringify({
      model_name: response.model,
      model_version: response.version,
      ...(response.id ? { id: response.id } : {}),
      outputs,
    }),
  );
  if (chunks.length === 0) return { body: header };
  return { body: Buffer.concat([header, ...chunks]), headerLength: header.byteLength };
}
