import { Logger } from '@nestjs/common';
import type { GatewayConfig } from '../../gateway/src/config/gateway-config';
import { OnnxRuntimeBackend } from '../../gateway/src/inference/embedded/onnx-runtime.backend';
import { AdmitStage } from '../../gateway/src/admission/admit.stage';
import { BatchStage } from '../../gateway/src/batching/batch.stage';
import { InferencePipeline } from '../../gateway/src/inference/inference-pipeline';
import { RateLimitStage } from '../../gateway/src/rate-limits/rate-limit.stage';
import { createRateLimitService } from '../../gateway/src/rate-limits/rate-limits.module';
import { GatewayMetrics } from '../../gateway/src/metrics/gateway-metrics';
import { DetectPipeline } from '../../gateway/src/vision/detect-pipeline';
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
  Logger.overrideLogger(['error', 'warn']); // the backend logs each model it loads
  const backend = new OnnxRuntimeBackend({
    repository: config.modelRepository,
    intraOpThreads: config.ortIntraOpThreads,
  });
  await backend.load();
  const metrics = new GatewayMetrics();
  const pipeline = new DetectPipeline(
    config,
    backend,
    new InferencePipeline(
      backend,
      metrics,
      new AdmitStage(config, metrics),
      new RateLimitStage(createRateLimitService(config, metrics, null)),
      new BatchStage(config, metrics),
    ),
    metrics,
  );
  const metadata = backend.modelMetadata(MODEL);
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
