import * as ort from 'onnxruntime-node';
import type { GatewayConfig } from '../../gateway/src/config/gateway-config';
import type { ModelMetadata } from '../../gateway/src/request-path/inference-backend';
import { createInProcessDetectPipeline } from '../lib/in-process-detect-pipeline';
import { withDefaults } from '../../gateway/src/vision/detect-options';
import type {
  DetectContext,
  DetectRequest,
  DetectResult,
} from '../../gateway/src/vision/detect-types';
import { DecodeImageStage } from '../../gateway/src/vision/stages/decode-image.stage';
import { PreprocessStage } from '../../gateway/src/vision/stages/preprocess.stage';
import { DecodeBudget } from '../../gateway/src/vision/decode-budget';
import { BENCH_CALL } from '../lib/bench-credentials';
import type { BenchPath } from './bench-path';
import type { SampleImage } from './images';
import { MODEL, MODEL_FILE } from './settings';

export interface InProcessPaths {
  /** The served model's metadata (input size, head layout, resize mode), for the reference. */
  metadata: ModelMetadata;
  ortDirect: BenchPath;
  pipeline: BenchPath;
  /** One in-process detect, for the agreement check against the gateway. */
  detect(image: SampleImage): Promise<DetectResult>;
  close(): Promise<void>;
}

/**
 * The two in-process baselines. `pipeline-in-process` is the gateway's own DetectPipeline (all six
 * stages, the tensor request path and the embedded ONNX Runtime backend), constructed with `new`
 * instead of by Nest: only the transport and the framework are missing. `ort-direct` is a bare
 * session on the same model file, fed the exact tensors the gateway's preprocess stage produces.
 */
export async function createInProcessPaths(
  config: GatewayConfig,
  images: readonly SampleImage[],
): Promise<InProcessPaths> {
  const { backend, pipeline } = await createInProcessDetectPipeline(config);
  const request = (image: SampleImage): DetectRequest => ({
    model: MODEL,
    version: '',
    image: image.bytes,
    // The gateway's defaults, as a REST call with no query string gets them.
    options: withDefaults({}, config.detectDefaults),
  });

  const decodeBudget = new DecodeBudget(config.images.decodeBudgetBytes, config.images.decodeQueue);
  const target = backend.resolve(MODEL, '');
  const tensors = await Promise.all(
    images.map(async (image) => {
      const context: DetectContext = {
        request: request(image),
        target,
      };
      await new DecodeImageStage(config.images).run(context);
      await new PreprocessStage(config.images, decodeBudget).run(context);
      if (!context.input) throw new Error(`preprocess produced no tensor for ${image.name}`);
      const [, ...chw] = context.target.metadata.inputs[0].shape;
      return new ort.Tensor('float32', context.input, [1, ...chw]);
    }),
  );
  // The same options as OnnxRuntimeBackend.createSession, so only the wrapping differs.
  const session = await ort.InferenceSession.create(MODEL_FILE, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: config.ortIntraOpThreads,
  });
  const inputName = session.inputNames[0];

  return {
    metadata: target.metadata,
    ortDirect: {
      name: 'ort-direct',
      send: async (_image, index) => {
        // Every output, as the gateway fetches them all for the GFL decoder.
        const outputs = await session.run({ [inputName]: tensors[index] });
        if (Object.keys(outputs).length !== session.outputNames.length) {
          throw new Error('ONNX Runtime returned fewer outputs than the model declares');
        }
      },
    },
    pipeline: {
      name: 'pipeline-in-process',
      send: async (image) => {
        const result = await pipeline.detect(request(image), BENCH_CALL);
        if (!Array.isArray(result.detections))
          throw new Error('detect returned no detections list');
      },
    },
    detect: (image) => pipeline.detect(request(image), BENCH_CALL),
    close: async () => {
      await session.release();
      await backend.close();
    },
  };
}
