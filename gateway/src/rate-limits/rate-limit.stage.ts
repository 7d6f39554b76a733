import { Injectable } from '@nestjs/common';
import type { CallGuard, GuardedCall } from '../request-path/call-work';
import { RateLimitService } from './rate-limit.service';

/**
 * Charges the call to its tenant's limits (requests and images, per tenant and per tenant × model)
 * before anything else costs time; refuses with 429 / RESOURCE_EXHAUSTED, `Retry-After` and the
 * IETF RateLimit fields. Runs right after `authorize`, so the tenant is known and entitled.
 */
@Injectable()
export class RateLimitStage implements CallGuard {
  readonly name = 'rate-limit';

  constructor(private readonly limits: RateLimitService) {}

  async check({ call, ask }: GuardedCall): Promise<void> {
    if (call.companion) return;
    await this.limits.admit(call.caller.tenant, ask.model, call.images);
  }
}
