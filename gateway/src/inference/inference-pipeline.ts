import { Inject, Injectable } from '@nestjs/common';
import {
  INFERENCE_BACKEND,
  type InferenceBackend,
  type InferRequest,
  type InferResponse,
} from './inference-backend';
import type { CallContext } from './call-context';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { CallBackendStage } from './stages/call-backend.stage';
import type { InferenceContext, InferenceStage } from './stages/inference-stage';
import { ValidateRequestStage } from './stages/validate-request.stage';
import { AdmitStage } from '../admission/admit.stage';
import { RateLimitStage } from '../rate-limits/rate-limit.stage';
import { AuthorizeStage } from '../auth/authorize.stage';
import { BatchStage } from '../batching/batch.stage';

/**
 * The tensor request path, in order. Every front door (KServe REST and gRPC, the vision API) sends
 * its requests through here, so a stage added to this list guards all of them.
 * Authentication happens at the front door (HTTP hook, gRPC guard); breakers and retries live in
 * the Triton backend's guarded calls, one breaker per endpoint.
 */
@Injectable()
export class InferencePipeline {
  private readonly stages: readonly InferenceStage[];

  constructor(
    @Inject(INFERENCE_BACKEND) private readonly backend: InferenceBackend,
    metrics: GatewayMetrics,
    admit: AdmitStage,
    rateLimit: RateLimitStage,
    batch: BatchStage,
  ) {
    this.stages = [
      new AuthorizeStage(),
      rateLimit,
      new ValidateRequestStage(),
      admit,
      batch,
      new CallBackendStage(metrics),
    ];
  }

  get stageNames(): string[] {
    return this.stages.map((stage) => stage.name);
  }

  infer(request: InferRequest, call: CallContext): Promise<InferResponse> {
    // A stage may hand the rest of the path another context (the batch stage: a merged request).
    const run = (index: number, context: InferenceContext): Promise<InferResponse> =>
      this.stages[index].handle(context, (replacement = context) => run(index + 1, replacement));
    return run(0, { request, call, backend: this.backend });
  }
}
