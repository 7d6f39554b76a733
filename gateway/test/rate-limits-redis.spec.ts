import { Logger } from '@nestjs/common';
import { status, type ServiceError } from '@grpc/grpc-js';
import { GRPCInferenceService } from '@contracts/generated/inference/grpc_service_pb';
import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayError } from '../src/errors/gateway-error';
import { LimiterPool } from '../src/rate-limits/limiter-pool';
import { RateLimitService } from '../src/rate-limits/rate-limit.service';
import { parseRateLimitSettings } from '../src/rate-limits/rate-limit-settings';
import { connectRedis } from '../src/rate-limits/redis-connection';
import { NANODET_INPUT_SIZE, nanodetInferRequest } from './nanodet-reference';
import { RedisServer, withoutRedis } from './redis-server';
import {
  authHeaders,
  callUnary,
  createApiKey,
  grpcClient,
  seededFloats,
  startTestGateway,
  type TestGateway,
} from './test-gateway';
import { until } from './wait-until';

// 2 requests per second over 5-second windows: a quota of 10 per window that no slow test machine
// can outrun, shared by two replicas (an insurance quota of 5 each while Redis is away).
const WINDOW_SECONDS = 5;
const QUOTA = 10;
const PER_REPLICA = 5;
const COMMAND_TIMEOUT_MS = 100;
/** No call may take longer, whatever Redis does (not a timing benchmark: a bound for "no hang"). */
const SETTLE_BOUND_MS = 2000;

interface Replica {
  name: string;
  client: Redis;
  limits: RateLimitService;
  fallbacks: number;
}

function createReplica(name: string, url: string): Replica {
  const parsed = parseRateLimitSettings(
    JSON.stringify({ default: { requestsPerSecond: QUOTA / WINDOW_SECONDS, imagesPerSecond: 0 } }),
  );
  if (!('settings' in parsed)) throw new Error(parsed.problems.join('; '));
  const client = connectRedis({ url, commandTimeoutMs: COMMAND_TIMEOUT_MS });
  const replica: Replica = { name, client, fallbacks: 0, limits: undefined as never };
  const pool = new LimiterPool({
    windowSeconds: WINDOW_SECONDS,
    redis: { client, replicas: 2, onFallback: () => (replica.fallbacks += 1) },
  });
  replica.limits = new RateLimitService(parsed.settings, pool);
  return replica;
}

type Outcome = 'ok' | 'limited';

/** One call; anything but admission or a rate-limit refusal fails the test. */
async function attempt(
  replica: Replica,
  tenant: string,
): Promise<{ outcome: Outcome; ms: number }> {
  const started = performance.now();
  try {
    await replica.limits.admit(tenant, 'nanodet', 1);
    return { outcome: 'ok', ms: performance.now() - started };
  } catch (error) {
    if (error instanceof GatewayError && error.kind === 'resource_exhausted') {
      return { outcome: 'limited', ms: performance.now() - started };
    }
    throw error;
  }
}

/** `count` calls one after another, alternating between the replicas; how many were admitted. */
async function admitted(replicas: Replica[], tenant: string, count: number): Promise<number> {
  let ok = 0;
  for (let i = 0; i < count; i += 1) {
    const { outcome, ms } = await attempt(replicas[i % replicas.length], tenant);
    expect(ms).toBeLessThan(SETTLE_BOUND_MS);
    if (outcome === 'ok') ok += 1;
  }
  return ok;
}

const ready = (replicas: Replica[]) => () => replicas.every((r) => r.client.status === 'ready');

describe('rate limits shared by two replicas in a real Redis', () => {
  if (withoutRedis('shared rate limits and the Redis outage tests')) return;

  let redis: RedisServer;
  let a: Replica;
  let b: Replica;
  let tenantSeq = 0;
  /** A tenant no earlier test has touched, so every check starts from a fresh window. */
  const freshTenant = (label: string) => `${label}-${(tenantSeq += 1)}`;

  beforeAll(async () => {
    // The outages below are deliberate: keep their warnings out of the test output.
    Logger.overrideLogger(['error']);
    redis = await RedisServer.start();
    a = createReplica('a', redis.url);
    b = createReplica('b', redis.url);
    await until(ready([a, b]), 'both replicas to connect to Redis', 10_000);
  });
  afterAll(async () => {
    a?.client.disconnect();
    b?.client.disconnect();
    await redis?.dispose();
  });
  afterEach(async () => {
    redis.resume();
    if (!redis.isRunning) await redis.restart();
    await until(ready([a, b]), 'both replicas to reconnect to Redis', 10_000);
  });

  it('enforces one limit across both replicas', async () => {
    const before = a.fallbacks + b.fallbacks;
    expect(await admitted([a, b], freshTenant('shared'), 3 * QUOTA)).toBe(QUOTA);
    // One replica alone also gets the whole shared quota (not its insurance share).
    expect(await admitted([a], freshTenant('one-replica'), 3 * QUOTA)).toBe(QUOTA);
    expect(a.fallbacks + b.fallbacks).toBe(before);
  });

  it('keeps answering while Redis is killed under load, limits per replica, and shares again after a restart', async () => {
    const results: { outcome: Outcome; ms: number }[] = [];
    const failures: unknown[] = [];
    let running = true;
    // Four callers per replica, each calling as fast as answers come, through the whole outage.
    const load = [a, b].flatMap((replica) =>
      Array.from({ length: 4 }, async () => {
        while (running) {
          try {
            results.push(await attempt(replica, 'under-load'));
          } catch (error) {
            failures.push(error);
          }
          await sleep(2);
        }
      }),
    );

    await sleep(300);
    await redis.kill();
    await until(
      () => a.client.status !== 'ready' && b.client.status !== 'ready',
      'the drop',
      10_000,
    );
    const fallbacksBefore = a.fallbacks + b.fallbacks;
    // Redis is gone: each replica enforces its share of the limit on its own.
    expect(await admitted([a], freshTenant('outage-a'), 3 * QUOTA)).toBe(PER_REPLICA);
    expect(await admitted([b], freshTenant('outage-b'), 3 * QUOTA)).toBe(PER_REPLICA);
    expect(a.fallbacks + b.fallbacks).toBeGreaterThan(fallbacksBefore);
    await sleep(500);

    await redis.restart();
    await until(ready([a, b]), 'both replicas to reconnect after the restart', 10_000);
    const fallbacksAfterRestart = a.fallbacks + b.fallbacks;
    // Shared again: one replica alone gets the whole quota, both together no more than it.
    expect(await admitted([a], freshTenant('recovered-a'), 3 * QUOTA)).toBe(QUOTA);
    expect(await admitted([a, b], freshTenant('recovered-ab'), 3 * QUOTA)).toBe(QUOTA);
    await sleep(300);
    running = false;
    await Promise.all(load);

    expect(failures).toEqual([]);
    expect(results.length).toBeGreaterThan(100);
    expect(Math.max(...results.map((r) => r.ms))).toBeLessThan(SETTLE_BOUND_MS);
    expect(results.some((r) => r.outcome === 'limited')).toBe(true);
    // The checks made after the restart went to Redis (the load may still have hit the insurance
    // in the instant before both reconnected, never after).
    expect(a.fallbacks + b.fallbacks).toBe(fallbacksAfterRestart);
  });

  it('answers within the command timeout when Redis is frozen, from the insurance limiter', async () => {
    redis.pause();
    const fallbacksBefore = a.fallbacks;
    const tenant = freshTenant('frozen');
    expect(await admitted([a], tenant, 3 * QUOTA)).toBe(PER_REPLICA);
    // One limit applies, so one check per call, each answered by the insurance limiter.
    expect(a.fallbacks - fallbacksBefore).toBe(3 * QUOTA);
    redis.resume();
    expect(await admitted([a], freshTenant('thawed'), 3 * QUOTA)).toBe(QUOTA);
  });
});

describe('a gateway with REDIS_URL, through Redis going away and coming back', () => {
  if (withoutRedis('the gateway with shared rate limits')) return;

  let redis: RedisServer;
  let gateway: TestGateway;

  beforeAll(async () => {
    redis = await RedisServer.start();
    gateway = await startTestGateway({
      REDIS_URL: redis.url,
      GATEWAY_REPLICAS: '2',
      // 2 requests per second shared; 1 per replica while Redis is away.
      GATEWAY_RATE_LIMITS: JSON.stringify({
        default: { requestsPerSecond: 2, imagesPerSecond: 0 },
        tenants: { admin: { requestsPerSecond: 0 } },
      }),
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await redis?.dispose();
  });

  const metric = async (name: string): Promise<number> => {
    const text = await (
      await fetch(`${gateway.httpUrl}/metrics`, { headers: authHeaders() })
    ).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? NaN : Number(line.split(' ')[1]);
  };

  /** Three concurrent gRPC infer calls as a new key of `tenant`: the status of each, sorted. */
  const threeInfers = async (tenant: string): Promise<number[]> => {
    const { key } = await createApiKey(gateway.httpUrl, { tenant, scopes: ['infer:*'] });
    const client = grpcClient(GRPCInferenceService, gateway.grpcAddress, { apiKey: key });
    try {
      const input = seededFloats(NANODET_INPUT_SIZE, 7);
      const results = await Promise.allSettled(
        ['1', '2', '3'].map((id) =>
          callUnary(client, 'modelInfer', nanodetInferRequest(input, 1, { id })),
        ),
      );
      return results
        .map((r) => (r.status === 'fulfilled' ? status.OK : (r.reason as ServiceError).code))
        .sort();
    } finally {
      client.close();
    }
  };

  it('shares the limit in Redis, falls back to its share while Redis is away, and shares again', async () => {
    expect(await metric('gateway_rate_limit_redis_up')).toBe(1);
    const [ok, exhausted] = [status.OK, status.RESOURCE_EXHAUSTED];
    // The whole limit (2), not one replica's share (1): counted in Redis, no fallback.
    expect(await threeInfers('shared')).toEqual([ok, ok, exhausted]);
    expect(await metric('gateway_rate_limit_redis_fallbacks_total')).toBe(0);

    await redis.kill();
    const fallbacks = await metric('gateway_rate_limit_redis_fallbacks_total');
    expect(await threeInfers('during-outage')).toEqual([ok, exhausted, exhausted]);
    expect(await metric('gateway_rate_limit_redis_up')).toBe(0);
    expect(await metric('gateway_rate_limit_redis_fallbacks_total')).toBe(fallbacks + 3);

    await redis.restart();
    const end = Date.now() + 10_000;
    while ((await metric('gateway_rate_limit_redis_up')) !== 1) {
      if (Date.now() > end) throw new Error('the gateway did not reconnect to Redis');
      await sleep(50);
    }
    expect(await threeInfers('recovered')).toEqual([ok, ok, exhausted]);
    expect(await metric('gateway_rate_limit_redis_fallbacks_total')).toBe(fallbacks + 3);
  });
});
