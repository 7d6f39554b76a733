import { Inject, Injectable } from '@nestjs/common';
import { BatchStage } from '../batching/batch.stage';
import { GatewayMetrics } from '../metrics/gateway-metrics';
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
  ) {
    this.stages = [batch, new CallBackendStage(metrics)];
  }

  run(request: InferRequest, admitted: AdmittedCall): Promise<InferResponse> {
    const { target, deadline, signal, call } = admitted;
    const routed: InferRequest = { ...request, version: target.version, deadline, signal };
    // A stage may hand the rest of the path another context (the batch stage: a merged request).
    const run = (index: number, context: InferenceContext): Promise<InferResponse> =>
      this.stages[index].handle(context, (replacement = context) => run(index + 1, replacement));
    return run(0, { request: routed, call, target, backend: this.backend });
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
    const { inputs, outputs } = this.request;
    const checked = checkSignature(target.metadata, inputs, outputs);
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

  run(admitted: AdmittedCall): Promise<InferResponse> {
    return this.path.run(this.request, admitted);
  }

  /** A shadow copy is the same request on the shadow's version; its outputs are only counted. */
  shadow(admitted: AdmittedCall): Promise<InferResponse> {
    return this.path.run(this.request, admitted);
  }
}
