import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { LimiterPool } from './limiter-pool';
import { RateLimitService } from './rate-limit.service';
import { RateLimitStage } from './rate-limit.stage';
import { connectRedis } from './redis-connection';

const RATE_LIMIT_REDIS = Symbol('RATE_LIMIT_REDIS');

/** REDIS_URL set: one connection for the shared counters; otherwise none (memory counters). */
function createRedis(config: GatewayConfig, metrics: GatewayMetrics): Redis | null {
  const { redisUrl, redisTimeoutMs } = config.rateLimits;
  if (!redisUrl) {
    metrics.registry.removeSingleMetric('gateway_rate_limit_redis_up');
    return null;
  }
  return connectRedis({
    url: redisUrl,
    commandTimeoutMs: redisTimeoutMs,
    onStatus: (up) => metrics.rateLimitRedisUp.set(up ? 1 : 0),
  });
}

/** The limits the configuration sets, counted in Redis when `redis` is given, else in memory. */
export function createRateLimitService(
  config: GatewayConfig,
  metrics: GatewayMetrics,
  redis: Redis | null,
): RateLimitService {
  const pool = new LimiterPool({
    windowSeconds: 1,
    ...(redis && {
      redis: {
        client: redis,
        replicas: config.rateLimits.replicas,
        onFallback: () => metrics.rateLimitRedisFallbacks.inc(),
      },
    }),
  });
  return new RateLimitService(config.rateLimits.settings, pool, (tenant, limit) =>
    metrics.rateLimitRefusals.inc({ tenant, limit }),
  );
}

/** Tenant rate limits for the request path (the `rate-limit` stage of the call pipeline). */
@Global()
@Module({
  providers: [
    {
      provide: RATE_LIMIT_REDIS,
      inject: [GATEWAY_CONFIG, GatewayMetrics],
      useFactory: createRedis,
    },
    {
      provide: RateLimitService,
      inject: [GATEWAY_CONFIG, GatewayMetrics, RATE_LIMIT_REDIS],
      useFactory: createRateLimitService,
    },
    RateLimitStage,
  ],
  exports: [RateLimitService, RateLimitStage],
})
export class RateLimitsModule implements OnApplicationShutdown {
  constructor(@Inject(RATE_LIMIT_REDIS) private readonly redis: Redis | null) {}

  onApplicationShutdown(): void {
    this.redis?.disconnect();
  }
}
