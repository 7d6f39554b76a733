import type { InferResponse } from '../../request-path/inference-backend';
import { concatenate, runSliced } from '../../event-loop/sliced-work';
import { rawBytesOf, type InferTensor } from '../../inference/tensor';
import { answerTooLarge } from '../../kserve-wire/answer-size';
import { encodeJsonData, jsonDataBound } from './json-data-encoder';

export type EncodedInferResponse =
  | { kind: 'json'; body: Buffer }
  | {
      /** The binary tensor data extension: the JSON header, then each binary output's bytes. */
      kind: 'binary';
      /** To be written in order, each where it already is (the tensors are not copied). */
      chunks: Buffer[];
      length: number;
      headerLength: number;
    };

/** Room for an output's datatype, shape and punctuation around its name and data. */
const JSON_OUTPUT_OVERHEAD = 256;

/**
 * Encodes a KServe v2 REST infer response, appending binary outputs after the JSON when asked.
 * Its size is known before any of it is written (binary outputs exactly, JSON ones by a bound per
 * element), and an answer over `maxBytes` is refused with the limit's name; the JSON text is then
 * written in slices.
 */
export async function encodeInferResponse(
  response: InferResponse,
  binaryOutputs: Set<string>,
  maxBytes: number,
): Promise<EncodedInferResponse> {
  const asBinary = (output: InferTensor): boolean =>
    binaryOutputs.has('*') || binaryOutputs.has(output.name);
  const raw = response.outputs.map((output) => (asBinary(output) ? rawBytesOf(output) : undefined));
  const jsonOutputs = response.outputs.filter((output) => !asBinary(output));
  const head = JSON.stringify({
    model_name: response.model,
    model_version: response.version,
    ...(response.id ? { id: response.id } : {}),
  });
  const bound =
    Buffer.byteLength(head) +
    raw.reduce((sum, bytes) => sum + (bytes?.byteLength ?? 0), 0) +
    response.outputs.reduce((sum, output) => sum + JSON_OUTPUT_OVERHEAD + output.name.length, 0) +
    jsonOutputs.reduce((sum, output) => sum + jsonDataBound(output), 0);
  if (bound > maxBytes) {
    throw answerTooLarge(bound, maxBytes, jsonOutputs.length > 0 ? 'json' : 'binary');
  }

  const json: Buffer[] = [Buffer.from(`${head.slice(0, -1)},"outputs":[`)];
  for (const [index, output] of response.outputs.entries()) {
    const separator = index === 0 ? '' : ',';
    const base = { name: output.name, datatype: output.datatype, shape: output.shape };
    const bytes = raw[index];
    if (bytes) {
      const described = { ...base, parameters: { binary_data_size: bytes.byteLength } };
      json.push(Buffer.from(separator + JSON.stringify(described)));
    } else {
      json.push(Buffer.from(`${separator}${JSON.stringify(base).slice(0, -1)},"data":`));
      json.push(...(await runSliced(encodeJsonData(output))), Buffer.from('}'));
    }
  }
  json.push(Buffer.from(']}'));
  const headerLength = json.reduce((sum, chunk) => sum + chunk.byteLength, 0);
  // One large copy would hold the event loop; the chunks go into the body a few at a time.
  const header = await runSliced(concatenate(json, headerLength));
  const binary = raw.filter((bytes): bytes is Uint8Array => bytes !== undefined);
  if (binary.length === 0) return { kind: 'json', body: header };
  const chunks = [
    header,
    ...binary.map((bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)),
  ];
  const length = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
  return { kind: 'binary', chunks, length, headerLength };
}
