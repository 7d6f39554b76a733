import type { GatewayMetrics } from '../../metrics/gateway-metrics';
import type { ModelStatisticsRecorder } from '../../model-statistics/model-statistics.recorder';
import type { InferResponse } from '../../request-path/inference-backend';
import type { InferenceContext, InferenceStage } from '../../request-path/inference-stage';

/**
 * The end of the path: hand the validated request to the backend and time it. A successful call
 * is one execution of the model for the statistics extension, its time each caller's compute time.
 */
export class CallBackendStage implements InferenceStage {
  readonly name = 'backend';

  constructor(
    private readonly metrics: GatewayMetrics,
    private readonly recorder: ModelStatisticsRecorder,
  ) {}

  async handle(context: InferenceContext): Promise<InferResponse> {
    const { backend, request, target } = context;
    const stop = this.metrics.inferenceDuration.startTimer({
      backend: backend.name,
      model: target.model,
      version: target.version,
    });
    // The call's trace goes on to the backend with this hop's span id (Triton: W3C metadata).
    const trace = context.call.trace;
    const started = performance.now();
    const opened = trace?.openStage(this.name, started);
    let failure: unknown;
    try {
      const response = await backend.infer(
        opened ? { ...request, trace: opened.headers } : request,
      );
      this.executed(context, (performance.now() - started) * 1e6);
      return response;
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      stop();
      trace?.stageEnded(this.name, started, failure, opened);
    }
  }

  /** Shadow copies (no durations) are not counted: the statistics describe callers' calls. */
  private executed({ request, target, durations }: InferenceContext, inferNs: number): void {
    if (durations.length === 0) return;
    for (const call of durations) call.computeInferNs += inferNs;
    const batched = target.metadata.maxBatchSize > 0;
    this.recorder.executed(target, {
      batchSize: batched ? (request.inputs[0]?.shape[0] ?? 1) : 1,
      computeInputNs: 0,
      computeInferNs: inferNs,
      computeOutputNs: 0,
    });
  }
}
