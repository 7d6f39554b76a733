import { Inject, Injectable } from '@nestjs/common';
import { BatchStage } from '../batching/batch.stage';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { ModelStatisticsRecorder } from '../model-statistics/model-statistics.recorder';
import {
  INFERENCE_BACKEND,
  type InferenceBackend,
  type InferRequest,
  type InferResponse,
} from '../request-path/inference-backend';
import type { ResolvedTarget } from '../request-path/resolved-target';
import { CallBackendStage } from '../inference/stages/call-backend.stage';
import type { InferenceContext, InferenceStage } from '../request-path/inference-stage';
import { checkSignature, elementCountMismatch } from '../inference/tensor-signature';
import type { AdmittedCall, CallWork } from '../request-path/call-work';
import { checkClassCounts, classified } from '../inference/classification';
import { runSliced } from '../event-loop/sliced-work';

/**
 * A tensor call's work once admitted: batch → backend. The detect work runs its tensor through
 * here too. The request goes on as a copy carrying the routed version, the deadline and the
 * admission's signal: the caller's request is never changed.
 */
@Injectable()
export class TensorPath {
  private readonly stages: readonly InferenceStage[];

  constructor(
    @Inject(INFERENCE_BACKEND) private readonly backend: InferenceBackend,
    batch: BatchStage,
    metrics: GatewayMetrics,
    recorder: ModelStatisticsRecorder,
  ) {
    this.stages = [batch, new CallBackendStage(metrics, recorder)];
  }

  run(request: InferRequest, admitted: AdmittedCall): Promise<InferResponse> {
    const { target, deadline, signal, call, durations } = admitted;
    const routed: InferRequest = { ...request, version: target.version, deadline, signal };
    // A stage may hand the rest of the path another context (the batch stage: a merged request).
    const run = (index: number, context: InferenceContext): Promise<InferResponse> =>
      this.stages[index].handle(context, (replacement = context) => run(index + 1, replacement));
    return run(0, {
      request: routed,
      call,
      target,
      backend: this.backend,
      durations: durations ? [durations] : [],
    });
  }
}

/**
 * A KServe tensor call: its precheck is the request's signature against the routed version
 * (names, datatypes, shapes, outputs) and that each tensor's data holds what its shape says; the
 * front doors checked the signature on the tensor headers before decoding, this checks every
 * front door's request against the version that will serve it.
 */
export class TensorWork implements CallWork<InferResponse> {
  constructor(
    private readonly request: InferRequest,
    private readonly path: TensorPath,
  ) {}

  precheck(target: ResolvedTarget): void {
    const { inputs, outputs, classCounts } = this.request;
    const checked = checkSignature(target.metadata, inputs, outputs);
    checkClassCounts(target.metadata, classCounts);
    inputs.forEach((tensor, index) => {
      const { count } = checked[index];
      if (tensor.data.length !== count) {
        throw elementCountMismatch(
          `input '${tensor.name}'`,
          tensor.shape,
          count,
          tensor.data.length,
        );
      }
    });
  }

  async run(admitted: AdmittedCall): Promise<InferResponse> {
    const response = await this.path.run(this.request, admitted);
    // The classification extension, on the answer of the version that served it (its labels).
    return runSliced(classified(response, this.request.classCounts, admitted.target.metadata));
  }

  /** A shadow copy is the same request on the shadow's version; its outputs are only counted. */
  shadow(admitted: AdmittedCall): Promise<InferResponse> {
    return this.path.run(this.request, admitted);
  }
}
