import { Inject, Injectable } from '@nestjs/common';
import { CONFIG_SLICE, type ConfigSlice } from '../config/gateway-config';
import { invalidArgument } from '../errors/gateway-error';
import type { CallContext } from '../request-path/call-context';
import type { ModelMetadata } from '../request-path/inference-backend';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { CallPipeline } from '../pipeline/call-pipeline';
import { TensorPath } from '../pipeline/tensor-work';
import type { AdmittedCall } from '../request-path/call-work';
import type { ResolvedTarget } from '../request-path/resolved-target';
import type { DetectContext, DetectRequest, DetectResult, DetectStage } from './detect-types';
import { DecodeDetectionsStage } from './stages/decode-detections.stage';
import { ServedVersions } from '../serving/served-versions';
import { DecodeImageStage } from './stages/decode-image.stage';
import { InferStage } from './stages/infer.stage';
import { MapBoxesStage } from './stages/map-boxes.stage';
import { NmsStage } from './stages/nms.stage';
import { PreprocessStage } from './stages/preprocess.stage';
import { DecodeBudget } from './decode-budget';
import { applyImageDecoderSettings } from './image-decoder-settings';

/** Stages whose time counts as preprocessing or postprocessing in metrics. */
const PRE = new Set(['decode', 'preprocess']);
const POST = new Set(['decode-detections', 'nms', 'map-boxes']);

/**
 * A detect call: one call of the call pipeline (authorize → rate-limit → route → precheck → admit),
 * whose precheck resolves the class names against the routed version and whose work is the vision
 * path, in order: image header → resize/normalise → tensor work (batch → backend) → GFL decode →
 * NMS → boxes back to original pixels. Shared by REST and gRPC.
 *
 * The call is admitted as a whole before its image is decoded: under overload most calls are shed,
 * and decoding and resizing each of them first would take the CPU the admitted ones need
 * (measured: at 10× capacity on two cores that work alone made callers wait many seconds past
 * their deadline).
 */
@Injectable()
export class DetectPipeline {
  /** The admitted call's work: it holds its version's slot (and deadline) until all of it is done. */
  private readonly stages: readonly DetectStage[];

  constructor(
    @Inject(CONFIG_SLICE.images) images: ConfigSlice<'images'>,
    private readonly calls: CallPipeline,
    tensors: TensorPath,
    private readonly metrics: GatewayMetrics,
    versions: ServedVersions,
  ) {
    applyImageDecoderSettings();
    this.stages = [
      new DecodeImageStage(images),
      new PreprocessStage(images, new DecodeBudget(images.decodeBudgetBytes, images.decodeQueue)),
      new InferStage(tensors),
      new DecodeDetectionsStage(versions),
      new NmsStage(),
      new MapBoxesStage(),
    ];
  }

  /** `onRouted` learns the version serving the call once it passed its guards and was routed. */
  async detect(
    request: DetectRequest,
    call: CallContext,
    onRouted?: (target: ResolvedTarget) => void,
  ): Promise<DetectResult> {
    const timingsMs: Record<string, number> = {};
    const started = performance.now();
    const { model, version, deadline, signal } = request;
    let classIds: ReadonlySet<number> | undefined;
    const context = await this.calls.run(
      call,
      { model, version, deadline, signal },
      {
        // Class names resolved before any pixel work, so a typo costs no decoding or inference.
        precheck: (target) => {
          classIds = classIdsOf(request, target.metadata);
          onRouted?.(target);
        },
        run: async (admitted) => {
          const { target } = admitted;
          const work: DetectContext = {
            request,
            admitted,
            target,
            classIds,
          };
          // Admission's signal: aborted at the deadline or when the caller goes away, once the
          // caller has had its answer; the remaining steps are skipped.
          await runStages(this.stages, work, timingsMs, admitted.signal);
          return work;
        },
        shadow: (admitted, primary) => this.shadow(request, admitted, primary),
        detectionsOf: (answer) => answer.detections,
      },
      timingsMs,
    );
    timingsMs.total = round(performance.now() - started);
    const { target } = context;
    this.observe(target.model, timingsMs);

    const labels = target.metadata.labels ?? [];
    const detections = (context.detections ?? []).map((detection) => ({
      label: labels[detection.classId] ?? String(detection.classId),
      classId: detection.classId,
      score: round(detection.score, 4),
      box: [detection.x1, detection.y1, detection.x2, detection.y2].map((value) =>
        round(value, 1),
      ) as [number, number, number, number],
    }));
    for (const detection of detections) {
      this.metrics.detections.inc({ model: target.model, label: detection.label });
      // Class names are the served model's own labels (or its class ids): bounded by the model.
      this.metrics.detectionConfidence.observe(
        { model: target.model, version: target.version, class: detection.label },
        detection.score,
      );
    }
    return {
      model: target.model,
      version: target.version,
      image: { width: context.source?.width ?? 0, height: context.source?.height ?? 0 },
      detections,
      timingsMs,
    };
  }

  /**
   * The same image on a shadow version: the decoded, resized input is reused when the shadow takes
   * the same input (the usual case: versions of one model) and the primary's inference left it
   * (a remote backend does), so a copy costs an inference and its decoding, not a second image
   * decode. The embedded backend moves the input to its worker thread instead of copying it
   * (InferStage hands it over): there the copy resizes the image again, off the caller's path.
   */
  private async shadow(
    request: DetectRequest,
    admitted: AdmittedCall,
    primary: DetectContext,
  ): Promise<DetectContext> {
    const { target } = admitted;
    const sameInput =
      preparesInputAlike(primary.target.metadata, target.metadata) &&
      (primary.input?.length ?? 0) > 0;
    const context: DetectContext = {
      request,
      admitted,
      target,
      classIds: classIdsOf(request, target.metadata),
      source: primary.source,
      ...(sameInput ? { plan: primary.plan, input: primary.input } : {}),
    };
    const first = this.stages.findIndex(
      ({ name }) => name === (sameInput ? 'infer' : 'preprocess'),
    );
    await runStages(this.stages.slice(first), context, {}, admitted.signal);
    return context;
  }

  private observe(model: string, timingsMs: Record<string, number>): void {
    let pre = 0;
    let post = 0;
    for (const [stage, ms] of Object.entries(timingsMs)) {
      if (PRE.has(stage)) pre += ms;
      if (POST.has(stage)) post += ms;
    }
    this.metrics.preprocessDuration.observe({ model }, pre / 1000);
    this.metrics.postprocessDuration.observe({ model }, post / 1000);
  }
}

/** Runs `stages` in order, timing each, and stops before the next one once `stop` is aborted. */
async function runStages(
  stages: readonly DetectStage[],
  context: DetectContext,
  timingsMs: Record<string, number>,
  stop: AbortSignal,
): Promise<void> {
  // The call's record (access log, trace) gets each stage too; a shadow copy's call has none.
  const trace = context.admitted?.call.trace;
  for (const stage of stages) {
    stop.throwIfAborted();
    const stageStarted = performance.now();
    try {
      await stage.run(context);
    } catch (error) {
      trace?.stageEnded(stage.name, stageStarted, error);
      throw error;
    }
    const ms = performance.now() - stageStarted;
    timingsMs[stage.name] = round(ms);
    trace?.stageEnded(stage.name, stageStarted);
    countComputeTime(context, stage.name, ms);
  }
}

/**
 * The statistics extension's compute input (image decode, resize) and output (detection decode,
 * NMS, boxes back to pixels) of a caller's call; a shadow copy has no durations.
 */
function countComputeTime(context: DetectContext, stage: string, ms: number): void {
  const durations = context.admitted?.durations;
  if (!durations) return;
  if (PRE.has(stage)) durations.computeInputNs += ms * 1e6;
  if (POST.has(stage)) durations.computeOutputNs += ms * 1e6;
}

/** Whether two versions take the same input tensor from an image (layout, size, resize mode). */
function preparesInputAlike(a: ModelMetadata, b: ModelMetadata): boolean {
  return JSON.stringify([a.inputs, a.parameters]) === JSON.stringify([b.inputs, b.parameters]);
}

/** Resolves class names before any pixel work, so a typo costs no inference. */
function classIdsOf(request: DetectRequest, metadata: ModelMetadata): Set<number> | undefined {
  if (!request.options.classes) return undefined;
  const labels = metadata.labels ?? [];
  return new Set(
    request.options.classes.map((label) => {
      const id = labels.indexOf(label);
      if (id < 0) throw invalidArgument(`unknown class '${label}' for model '${metadata.name}'`);
      return id;
    }),
  );
}

function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
