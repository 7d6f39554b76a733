import { Injectable } from '@nestjs/common';
import type { InferResponse } from '../inference/inference-backend';
import type { InferenceContext, InferenceStage } from '../inference/stages/inference-stage';
import { RateLimitService } from './rate-limit.service';

/**
 * Charges the call to its tenant's limits (requests and images, per tenant and per tenant × model)
 * before anything else costs time; refuses with 429 / RESOURCE_EXHAUSTED, `Retry-After` and the
 * IETF RateLimit fields. Runs right after `authorize`, so the tenant is known and entitled.
 */
@Injectable()
export class RateLimitStage implements InferenceStage {
  readonly name = 'rate-limit';

  constructor(private readonly limits: RateLimitService) {}

  async handle(
    context: InferenceContext,
    next: () => Promise<InferResponse>,
  ): Promise<InferResponse> {
    const { call, request } = context;
    if (!call.limitsCharged)
      await this.limits.admit(call.caller.tenant, request.model, call.images);
    return next();
  }
}
