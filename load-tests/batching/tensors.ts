import { Logger } from '@nestjs/common';
import { create } from '@bufbuild/protobuf';
import {
  ModelInferRequest_InferInputTensorSchema,
  ModelInferRequestSchema,
  type ModelInferRequest,
} from '@contracts/generated/inference/grpc_service_pb';
import { loadGatewayConfig } from '../../gateway/src/config/gateway-config';
import { OnnxRuntimeBackend } from '../../gateway/src/inference/embedded/onnx-runtime.backend';
import { withDefaults } from '../../gateway/src/vision/detect-options';
import type { DetectContext } from '../../gateway/src/vision/detect-types';
import { DecodeImageStage } from '../../gateway/src/vision/stages/decode-image.stage';
import { PreprocessStage } from '../../gateway/src/vision/stages/preprocess.stage';
import { DecodeBudget } from '../../gateway/src/vision/decode-budget';
import type { SampleImage } from '../detect-overhead/images';
import { MODEL_REPOSITORY } from '../detect-overhead/settings';
import { MODEL } from './settings';

/** A ready-made KServe request: a real photo or video frame as the model sees it. */
export interface InferPayload {
  image: string;
  request: ModelInferRequest;
}

/**
 * KServe v2 ModelInfer requests for nanodet ([1,3,416,416] FP32 in raw_input_contents), one per
 * sample image, made by the gateway's own decode and preprocess stages (letterbox, as config.pbtxt
 * says) so the tensors are real pictures, not noise. Built once, before any load: the benchmark
 * measures inference, not preprocessing.
 */
export async function buildPayloads(images: readonly SampleImage[]): Promise<InferPayload[]> {
  Logger.overrideLogger(['error', 'warn']);
  const config = loadGatewayConfig({ MODEL_REPOSITORY, LOG_LEVEL: 'error' });
  // Only for the model's metadata (input layout, resize mode): loaded and closed here.
  const backend = new OnnxRuntimeBackend({ repository: MODEL_REPOSITORY, intraOpThreads: 1 });
  await backend.load();
  try {
    const target = backend.resolve(MODEL, '');
    const { metadata } = target;
    const [, ...chw] = metadata.inputs[0].shape;
    const payloads: InferPayload[] = [];
    const decodeBudget = new DecodeBudget(
      config.images.decodeBudgetBytes,
      config.images.decodeQueue,
    );
    for (const image of images) {
      const context: DetectContext = {
        request: {
          model: MODEL,
          version: '',
          image: image.bytes,
          options: withDefaults({}, config.detectDefaults),
        },
        target,
      };
      await new DecodeImageStage(config.images).run(context);
      await new PreprocessStage(config.images, decodeBudget).run(context);
      const input = context.input;
      if (!input) throw new Error(`preprocess produced no tensor for ${image.name}`);
      payloads.push({
        image: image.name,
        request: create(ModelInferRequestSchema, {
          modelName: MODEL,
          inputs: [
            create(ModelInferRequest_InferInputTensorSchema, {
              name: metadata.inputs[0].name,
              datatype: 'FP32',
              shape: [1n, ...chw.map(BigInt)],
            }),
          ],
          rawInputContents: [new Uint8Array(input.buffer, input.byteOffset, input.byteLength)],
        }),
      });
    }
    return payloads;
  } finally {
    await backend.close();
  }
}
