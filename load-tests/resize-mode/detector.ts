import type { GatewayConfig } from '../../gateway/src/config/gateway-config';
import { createInProcessDetectPipeline } from '../lib/in-process-detect-pipeline';
import type { DetectResult } from '../../gateway/src/vision/detect-types';
import { BENCH_CALL } from '../lib/bench-credentials';
import { MODEL, type Mode } from './settings';

export interface Detector {
  /** The model's configured resize mode (`vision.resize` in config.pbtxt), used when none is asked. */
  readonly configuredMode: string;
  /** The model's input width and height (416 × 416 for NanoDet-m). */
  readonly inputWidth: number;
  readonly inputHeight: number;
  detect(
    image: Buffer,
    mode: Mode,
    scoreThreshold: number,
    maxDetections: number,
  ): Promise<DetectResult>;
  close(): Promise<void>;
}

/**
 * The gateway's real DetectPipeline (decode, sharp resize in the requested mode, the tensor request
 * path, the embedded ONNX Runtime backend, GFL decode, NMS, box mapping), constructed with `new`
 * as in load-tests/detect-overhead: the resize mode is passed per request, exactly as a client's
 * `?resize=stretch|letterbox` would be.
 */
export async function createDetector(
  config: GatewayConfig,
  iouThreshold: number,
): Promise<Detector> {
  const { backend, pipeline } = await createInProcessDetectPipeline(config);
  const metadata = backend.resolve(MODEL, '').metadata;
  const shape = metadata.inputs[0].shape;
  return {
    configuredMode: metadata.parameters['vision.resize'] ?? '(unset)',
    inputWidth: shape[shape.length - 1],
    inputHeight: shape[shape.length - 2],
    detect: (image, mode, scoreThreshold, maxDetections) =>
      pipeline.detect(
        {
          model: MODEL,
          version: '',
          image,
          options: { scoreThreshold, iouThreshold, maxDetections, resize: mode },
        },
        BENCH_CALL,
      ),
    close: () => backend.close(),
  };
}
