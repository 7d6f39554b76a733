import { resolve } from 'node:path';
import { create } from '@bufbuild/protobuf';
import {
  ModelInferRequest_InferInputTensorSchema,
  ModelInferRequestSchema,
  type ModelInferRequest,
  type ModelInferResponse,
} from '@contracts/generated/inference/grpc_service_pb';
import * as ort from 'onnxruntime-node';
import { MODEL_REPOSITORY } from './test-gateway';

export const NANODET_OUTPUTS = [
  'cls_s8',
  'cls_s16',
  'cls_s32',
  'reg_s8',
  'reg_s16',
  'reg_s32',
] as const;
export const NANODET_INPUT_SIZE = 3 * 416 * 416;

let session: Promise<ort.InferenceSession> | undefined;

/** ONNX Runtime called directly on the committed model: the reference the gateway must reproduce. */
export async function nanodetReference(
  input: Float32Array,
  batch: number,
): Promise<Record<string, Float32Array>> {
  session ??= ort.InferenceSession.create(resolve(MODEL_REPOSITORY, 'nanodet/1/model.onnx'), {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 2,
  });
  const results = await (
    await session
  ).run({ images: new ort.Tensor('float32', input, [batch, 3, 416, 416]) });
  return Object.fromEntries(
    NANODET_OUTPUTS.map((name) => [name, results[name].data as Float32Array]),
  );
}

/** A KServe v2 gRPC infer request for nanodet carrying `input` ([batch,3,416,416]) as raw contents. */
export function nanodetInferRequest(
  input: Float32Array,
  batch: number,
  { id, model = 'nanodet' }: { id: string; model?: string },
): ModelInferRequest {
  return create(ModelInferRequestSchema, {
    modelName: model,
    id,
    inputs: [
      create(ModelInferRequest_InferInputTensorSchema, {
        name: 'images',
        datatype: 'FP32',
        shape: [BigInt(batch), 3n, 416n, 416n],
      }),
    ],
    rawInputContents: [new Uint8Array(input.buffer, input.byteOffset, input.byteLength)],
  });
}

/** The FP32 outputs of a gRPC infer response (raw_output_contents), by name. */
export function rawOutputsOf(response: ModelInferResponse): Record<string, Float32Array> {
  return Object.fromEntries(
    response.outputs.map((output, index) => [
      output.name,
      new Float32Array(Uint8Array.prototype.slice.call(response.rawOutputContents[index]).buffer),
    ]),
  );
}

/**
 * A KServe v2 REST infer body for nanodet with the binary tensor data extension: the JSON header
 * (every output asked for as binary, plus `extra` fields), then the raw input bytes; with the
 * headers that say where the JSON ends.
 */
export function nanodetBinaryInferBody(
  input: Float32Array,
  batch: number,
  extra: Record<string, unknown> = {},
): { body: Buffer; headerLength: number; headers: Record<string, string> } {
  const header = Buffer.from(
    JSON.stringify({
      inputs: [
        {
          name: 'images',
          datatype: 'FP32',
          shape: [batch, 3, 416, 416],
          parameters: { binary_data_size: input.byteLength },
        },
      ],
      outputs: NANODET_OUTPUTS.map((name) => ({ name, parameters: { binary_data: true } })),
      ...extra,
    }),
  );
  return {
    body: Buffer.concat([header, Buffer.from(input.buffer, input.byteOffset, input.byteLength)]),
    headerLength: header.byteLength,
    headers: {
      'content-type': 'application/octet-stream',
      'inference-header-content-length': String(header.byteLength),
    },
  };
}
