import { Injectable } from '@nestjs/common';
import type { CallContext } from '../request-path/call-context';
import type { InferRequest, InferResponse } from '../request-path/inference-backend';
import { CallPipeline } from './call-pipeline';
import { TensorPath, TensorWork } from './tensor-work';

/** The KServe front doors' way in: a tensor request as one call of the call pipeline. */
@Injectable()
export class TensorCalls {
  constructor(
    private readonly calls: CallPipeline,
    private readonly path: TensorPath,
  ) {}

  infer(request: InferRequest, call: CallContext): Promise<InferResponse> {
    const { model, version, deadline, signal } = request;
    // KServe's `id` keeps its meaning (echoed in the answer); the log names it beside x-request-id.
    if (call.trace && request.id) call.trace.kserveId = request.id;
    return this.calls.run(
      call,
      { model, version, deadline, signal },
      new TensorWork(request, this.path),
    );
  }
}
