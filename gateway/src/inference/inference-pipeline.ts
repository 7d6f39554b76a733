import { Inject, Injectable } from '@nestjs/common';
import {
  INFERENCE_BACKEND,
  type InferenceBackend,
  type InferRequest,
  type InferResponse,
} from './inference-backend';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { CallBackendStage } from './stages/call-backend.stage';
import type { InferenceContext, InferenceStage } from './stages/inference-stage';
import { ValidateRequestStage } from './stages/validate-request.stage';

/**
 * The tensor request path, in order. Every front door (KServe REST and gRPC, the vision API) sends
 * its requests through here, so a stage added to this list guards all of them.
 * Planned, in this order: authenticate → rate-limit → route → admit → batch → breaker.
 */
@Injectable()
export class InferencePipeline {
  private readonly stages: readonly InferenceStage[];

  constructor(
    @Inject(INFERENCE_BACKEND) private readonly backend: InferenceBackend,
    metrics: GatewayMetrics,
  ) {
    this.stages = [new ValidateRequestStage(), new CallBackendStage(metrics)];
  }

  get stageNames(): string[] {
    return this.stages.map((stage) => stage.name);
  }

  infer(request: InferRequest): Promise<InferResponse> {
    const context: InferenceContext = { request, backend: this.backend };
    const run = (index: number): Promise<InferResponse> => {
      const stage = this.stages[index];
      return stage.handle(context, () => run(index + 1));
    };
    return run(0);
  }
}
