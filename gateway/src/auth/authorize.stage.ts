import type { InferResponse } from '../inference/inference-backend';
import type { InferenceContext, InferenceStage } from '../inference/stages/inference-stage';
import { ACCESS, authorize } from './access-policy';

/**
 * First stage of the request path: the caller must hold `infer:<model>`. The front doors authorise
 * too (before reading a body); this makes it impossible for one to forget, and checks each message
 * of a stream, whose messages name their own models.
 */
export class AuthorizeStage implements InferenceStage {
  readonly name = 'authorize';

  async handle(
    context: InferenceContext,
    next: () => Promise<InferResponse>,
  ): Promise<InferResponse> {
    authorize(context.call.caller, ACCESS.model, context.request.model || undefined);
    return next();
  }
}
