import type { Redis } from 'ioredis';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  type RateLimiterRes,
} from 'rate-limiter-flexible';

const KEY_PREFIX = 'gateway-rl';

export interface LimiterPoolOptions {
  /** Length of the fixed window each quota counts over. */
  windowSeconds: number;
  /** Set: the counters live in Redis, shared by every replica. Unset: in this process. */
  redis?: {
    client: Redis;
    /** Replicas sharing the Redis counters; each enforces 1/replicas of a quota while it is down. */
    replicas: number;
    /** Told each time the insurance limiter answers because Redis did not. */
    onFallback?: () => void;
  };
}

/** A memory limiter that reports each use: as Redis's insurance, a use means Redis did not answer. */
class InsuranceLimiter extends RateLimiterMemory {
  constructor(
    points: number,
    duration: number,
    private readonly onUse: () => void,
  ) {
    super({ points, duration, keyPrefix: KEY_PREFIX });
  }

  override consume(
    key: string | number,
    pointsToConsume?: number,
    options?: Record<string, unknown>,
  ): Promise<RateLimiterRes> {
    this.onUse();
    return super.consume(key, pointsToConsume, options);
  }
}

/**
 * One limiter per distinct quota (rate-limiter-flexible fixes `points` per limiter); keys carry
 * tenant and model, so limiters with equal quotas are shared. Quotas come from configuration, so
 * the pool stays small.
 */
export class LimiterPool {
  private readonly limiters = new Map<number, RateLimiterAbstract>();

  constructor(private readonly options: LimiterPoolOptions) {}

  get windowSeconds(): number {
    return this.options.windowSeconds;
  }

  forQuota(quota: number): RateLimiterAbstract {
    let limiter = this.limiters.get(quota);
    if (!limiter) {
      limiter = this.create(quota);
      this.limiters.set(quota, limiter);
    }
    return limiter;
  }

  private create(quota: number): RateLimiterAbstract {
    const { windowSeconds: duration, redis } = this.options;
    if (!redis) return new RateLimiterMemory({ points: quota, duration, keyPrefix: KEY_PREFIX });
    const onFallback = redis.onFallback ?? (() => undefined);
    return new RateLimiterRedis({
      storeClient: redis.client,
      points: quota,
      duration,
      keyPrefix: KEY_PREFIX,
      // Not connected: answer from the insurance limiter at once instead of trying Redis.
      rejectIfRedisNotReady: true,
      insuranceLimiter: new InsuranceLimiter(
        Math.ceil(quota / redis.replicas),
        duration,
        onFallback,
      ),
    });
  }
}
