import { Logger } from '@nestjs/common';
import { type RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import { GatewayError } from '../errors/gateway-error';
import type { LimiterPool } from './limiter-pool';
import { type PolicyState, rateLimitFields } from './rate-limit-fields';
import { type RateLimitSettings, resolveRates } from './rate-limit-settings';

/** The four limits, named as they appear in `RateLimit-Policy` and in metrics. */
export type LimitName = 'tenant-requests' | 'tenant-images' | 'model-requests' | 'model-images';

/** Told about each refusal, once per limit that refused (metrics). */
export type RefusalListener = (tenant: string, limit: LimitName) => void;

interface Check {
  limit: LimitName;
  /** Per window, in requests or images. */
  quota: number;
  /** What this call costs: 1 request, or its number of images. */
  cost: number;
  key: string;
  limiter: RateLimiterAbstract;
}

interface Outcome {
  check: Check;
  /** Undefined when the limiter failed outright (the call is let through). */
  result?: RateLimiterRes;
  refused: boolean;
}

/**
 * Per-tenant and per tenant × model limits on requests and images per window. A call is charged
 * against every limit that applies at once; if any refuses, all charges are refunded, so a refused
 * call costs the tenant nothing (a refused image limit does not eat the request limit).
 */
export class RateLimitService {
  private readonly logger = new Logger('RateLimits');

  constructor(
    private readonly settings: RateLimitSettings,
    private readonly pool: LimiterPool,
    private readonly onRefusal: RefusalListener = () => undefined,
  ) {}

  /** Resolves when the call is within every limit; throws `resource_exhausted` otherwise. */
  async admit(tenant: string, model: string, images: number): Promise<void> {
    const checks = this.checksFor(tenant, model, images);
    if (checks.length === 0) return;
    const tooLarge = checks.find((check) => check.cost > check.quota);
    if (tooLarge) throw this.neverFits(tenant, model, tooLarge);

    const outcomes = await Promise.all(checks.map((check) => this.consume(check)));
    const refused = outcomes.filter((outcome) => outcome.refused);
    if (refused.length === 0) return;

    // Not awaited: the refusal need not wait for the refund (with Redis, it follows the charge on
    // the same connection, so this replica's next check already sees it).
    for (const { check, result } of outcomes) {
      if (result) check.limiter.reward(check.key, check.cost).catch(() => undefined);
    }
    for (const { check } of refused) this.onRefusal(tenant, check.limit);
    throw this.refusal(tenant, model, outcomes, refused);
  }

  private checksFor(tenant: string, model: string, images: number): Check[] {
    const rates = resolveRates(this.settings, tenant, model);
    const window = this.pool.windowSeconds;
    const tenantKey = encodeURIComponent(tenant);
    const modelKey = `${tenantKey}:${encodeURIComponent(model)}`;
    const imageCost = Number.isInteger(images) && images > 0 ? images : 0;
    const candidates: [LimitName, number, number, string][] = [
      ['tenant-requests', rates.tenantRequests, 1, tenantKey],
      ['tenant-images', rates.tenantImages, imageCost, tenantKey],
      ['model-requests', rates.modelRequests, 1, modelKey],
      ['model-images', rates.modelImages, imageCost, modelKey],
    ];
    return candidates
      .filter(([, perSecond, cost]) => perSecond > 0 && cost > 0)
      .map(([limit, perSecond, cost, key]) => {
        const quota = perSecond * window;
        return { limit, quota, cost, key: `${limit}:${key}`, limiter: this.pool.forQuota(quota) };
      });
  }

  private async consume(check: Check): Promise<Outcome> {
    try {
      const result = await check.limiter.consume(check.key, check.cost);
      return { check, result, refused: false };
    } catch (error) {
      if (error instanceof RateLimiterRes) return { check, result: error, refused: true };
      // Only reachable if the insurance limiter itself failed: let the call through rather than
      // fail it for a limiter fault.
      this.logger.warn(`rate limit check ${check.limit} failed: ${(error as Error).message}`);
      return { check, refused: false };
    }
  }

  private refusal(
    tenant: string,
    model: string,
    outcomes: readonly Outcome[],
    refused: readonly Outcome[],
  ): GatewayError {
    const retryAfterMs = Math.max(...refused.map(({ result }) => result?.msBeforeNext ?? 0));
    const reasons = refused.map(({ check }) => this.describe(check)).join('; ');
    return new GatewayError(
      'resource_exhausted',
      `rate limit exceeded for ${subject(tenant, model, refused)}: ${reasons}; retry in ${(retryAfterMs / 1000).toFixed(1)} s`,
      { retryAfterMs, headers: rateLimitFields(outcomes.flatMap((o) => this.state(o))) },
    );
  }

  private neverFits(tenant: string, model: string, check: Check): GatewayError {
    const scope = check.limit.startsWith('model-') ? ` on model '${model}'` : '';
    return new GatewayError(
      'resource_exhausted',
      `call carries ${check.cost} images, more than tenant '${tenant}'${scope} may send in ${this.pool.windowSeconds} s ` +
        `(${check.limit}: ${this.describe(check)}); send at most ${check.quota} images per call`,
      {
        headers: {
          'ratelimit-policy': `"${check.limit}";q=${check.quota};w=${this.pool.windowSeconds}`,
        },
      },
    );
  }

  private describe(check: Check): string {
    const unit = check.limit.endsWith('-images') ? 'images' : 'requests';
    const perSecond = check.quota / this.pool.windowSeconds;
    return `${check.limit} allows ${perSecond} ${unit} per second`;
  }

  /** After the refund: what was left before this call, and when the window ends. */
  private state({ check, result }: Outcome): PolicyState[] {
    if (!result) return [];
    const before = result.consumedPoints - check.cost;
    return [
      {
        policy: check.limit,
        quota: check.quota,
        windowSeconds: this.pool.windowSeconds,
        remaining: Math.min(check.quota, Math.max(0, check.quota - before)),
        resetMs: result.msBeforeNext,
      },
    ];
  }
}

function subject(tenant: string, model: string, refused: readonly Outcome[]): string {
  const onModel = refused.some(({ check }) => check.limit.startsWith('model-'));
  return onModel ? `tenant '${tenant}' on model '${model}'` : `tenant '${tenant}'`;
}
