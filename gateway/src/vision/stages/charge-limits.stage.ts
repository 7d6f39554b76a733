import type { RateLimitService } from '../../rate-limits/rate-limit.service';
import type { DetectContext, DetectStage } from '../detect-types';

/**
 * Charges the call to its tenant's rate limits before the image is decoded, so a tenant over its
 * limit costs no decoding or resizing. The tensor request path's `rate-limit` stage sees the call
 * marked as charged and does not charge it twice.
 */
export class ChargeLimitsStage implements DetectStage {
  readonly name = 'rate-limit';

  constructor(private readonly limits: RateLimitService) {}

  async run(context: DetectContext): Promise<void> {
    const { call, request } = context;
    await this.limits.admit(call.caller.tenant, request.model, call.images);
    context.call = { ...call, limitsCharged: true };
  }
}
