import { CallStatistics } from '../../gateway/src/call-statistics/call-statistics';
import { ShadowCopies } from '../../gateway/src/shadowing/shadow-copies';
import { Logger } from '@nestjs/common';
import type { GatewayConfig } from '../../gateway/src/config/gateway-config';
import { OnnxRuntimeBackend } from '../../gateway/src/inference/embedded/onnx-runtime.backend';
import { AdmitStage } from '../../gateway/src/admission/admit.stage';
import { BatchStage } from '../../gateway/src/batching/batch.stage';
import { CallPipeline } from '../../gateway/src/pipeline/call-pipeline';
import { TensorPath } from '../../gateway/src/pipeline/tensor-work';
import { RateLimitStage } from '../../gateway/src/rate-limits/rate-limit.stage';
import { createRateLimitService } from '../../gateway/src/rate-limits/rate-limits.module';
import { GatewayMetrics } from '../../gateway/src/metrics/gateway-metrics';
import { DetectPipeline } from '../../gateway/src/vision/detect-pipeline';
import { ServedVersions } from '../../gateway/src/serving/served-versions';
import { ModelStatisticsRecorder } from '../../gateway/src/model-statistics/model-statistics.recorder';
import { handOver } from '../../gateway/src/inference/handed-over';
import { DecodeBudget } from '../../gateway/src/vision/decode-budget';
import type { DetectContext } from '../../gateway/src/vision/detect-types';
import { DecodeDetectionsStage } from '../../gateway/src/vision/stages/decode-detections.stage';
import { DecodeImageStage } from '../../gateway/src/vision/stages/decode-image.stage';
import { inputLayout } from '../../gateway/src/vision/stages/preprocess.stage';
import { MapBoxesStage } from '../../gateway/src/vision/stages/map-boxes.stage';
import { NmsStage } from '../../gateway/src/vision/stages/nms.stage';
import { PreprocessStage } from '../../gateway/src/vision/stages/preprocess.stage';

export interface InProcessDetectPipeline {
  backend: OnnxRuntimeBackend;
  pipeline: DetectPipeline;
}

/**
 * The gateway's real DetectPipeline on the embedded ONNX Runtime backend, constructed with `new`
 * instead of by Nest: only the transport and the framework are missing. One place for every
 * benchmark that measures or uses the detect path in-process.
 */
export async function createInProcessDetectPipeline(
  config: GatewayConfig,
): Promise<InProcessDetectPipeline> {
  Logger.overrideLogger(['error', 'warn']); // the backend logs each model it loads
  const backend = new OnnxRuntimeBackend({
    repository: config.modelRepository,
    intraOpThreads: config.ortIntraOpThreads,
  });
  await backend.load();
  const metrics = new GatewayMetrics();
  const limits = createRateLimitService(config, metrics, null);
  const versions = new ServedVersions(backend);
  const admission = new AdmitStage(config.admission, metrics, versions, backend);
  const statistics = new CallStatistics(metrics);
  const shadows = new ShadowCopies(config.shadows, backend, admission, statistics);
  const recorder = new ModelStatisticsRecorder(versions);
  const pipeline = new DetectPipeline(
    config.images,
    new CallPipeline(
      backend,
      new RateLimitStage(limits),
      admission,
      statistics,
      shadows,
      recorder,
      metrics,
    ),
    new TensorPath(
      backend,
      new BatchStage(config.batching, metrics, versions, backend),
      metrics,
      recorder,
    ),
    metrics,
    versions,
  );
  return { backend, pipeline };
}

export interface DetectStep {
  name: string;
  run(context: DetectContext): Promise<void> | void;
}

export interface DetectSteps {
  steps: DetectStep[];
  close(): void;
}

/**
 * The detect stages in DetectPipeline's order, run one by one outside the call pipeline (no
 * admission, no batching, inference on the backend directly): for tools that look between
 * stages (the stage CPU breakdown, the recorded sample outputs). `handOverInput` sends the input
 * as InferStage does (moved to the worker, empty afterwards); otherwise it stays readable.
 */
export function detectSteps(
  config: GatewayConfig,
  backend: OnnxRuntimeBackend,
  { handOverInput }: { handOverInput: boolean },
): DetectSteps {
  const versions = new ServedVersions(backend);
  const budget = new DecodeBudget(config.images.decodeBudgetBytes, config.images.decodeQueue);
  const infer: DetectStep = {
    name: 'infer (backend)',
    run: async (context) => {
      const { input, target } = context;
      if (!input) throw new Error('the infer step needs the preprocess stage first');
      context.inference = await backend.infer({
        model: target.model,
        version: target.version,
        inputs: [
          {
            name: target.metadata.inputs[0].name,
            datatype: 'FP32',
            shape: [1, ...inputLayout(context)],
            data: handOverInput ? handOver(input) : input,
          },
        ],
        outputs: [],
      });
    },
  };
  return {
    steps: [
      new DecodeImageStage(config.images),
      new PreprocessStage(config.images, budget),
      infer,
      new DecodeDetectionsStage(versions),
      new NmsStage(),
      new MapBoxesStage(),
    ],
    close: () => versions.onApplicationShutdown(),
  };
}
