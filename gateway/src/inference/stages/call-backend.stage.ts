import type { GatewayMetrics } from '../../metrics/gateway-metrics';
import type { InferResponse } from '../../request-path/inference-backend';
import type { InferenceContext, InferenceStage } from '../../request-path/inference-stage';

/** The end of the path: hand the validated request to the backend and time it. */
export class CallBackendStage implements InferenceStage {
  readonly name = 'backend';

  constructor(private readonly metrics: GatewayMetrics) {}

  async handle(context: InferenceContext): Promise<InferResponse> {
    const { backend, request, target } = context;
    const stop = this.metrics.inferenceDuration.startTimer({
      backend: backend.name,
      model: target.model,
      version: target.version,
    });
    try {
      return await backend.infer(request);
    } finally {
      stop();
    }
  }
}
