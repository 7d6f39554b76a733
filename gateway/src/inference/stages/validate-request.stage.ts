import type { InferResponse } from '../inference-backend';
import { checkSignature, elementCountMismatch } from '../tensor-signature';
import type { InferenceContext, InferenceStage } from './inference-stage';

/**
 * Checks a request against the model's declared inputs and outputs before it costs backend time,
 * with errors that name the tensor and what was expected. The KServe front doors ran the same
 * signature check on the tensor headers before decoding; this stage is the check for every front
 * door, and adds that each tensor's data holds what its shape says.
 */
export class ValidateRequestStage implements InferenceStage {
  readonly name = 'validate';

  async handle(
    context: InferenceContext,
    next: () => Promise<InferResponse>,
  ): Promise<InferResponse> {
    const { request, backend } = context;
    const target = backend.resolve(request.model, request.version);
    context.target = target;

    const checked = checkSignature(target.metadata, request.inputs, request.outputs);
    request.inputs.forEach((tensor, index) => {
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
    return next();
  }
}
