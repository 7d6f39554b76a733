import { GatewayError } from '../errors/gateway-error';
import type { GuardedCall } from '../request-path/call-work';
import { LimiterPool } from './limiter-pool';
import { type LimitName, RateLimitService } from './rate-limit.service';
import { RateLimitStage } from './rate-limit.stage';
import { parseRateLimitSettings } from './rate-limit-settings';

function stageWith(limits: unknown, windowSeconds = 1) {
  const parsed = parseRateLimitSettings(JSON.stringify(limits));
  if (!('settings' in parsed)) throw new Error(parsed.problems.join('; '));
  const refusals: [string, LimitName][] = [];
  const service = new RateLimitService(
    parsed.settings,
    new LimiterPool({ windowSeconds }),
    (tenant, limit) => refusals.push([tenant, limit]),
  );
  const stage = new RateLimitStage(service);
  /** Calls the stage let on. */
  const next = jest.fn();
  /** Resolves to 'ok' or the refusal. */
  const call = async (tenant: string, model = 'nanodet', images = 1) => {
    const guarded: GuardedCall = {
      ask: { model, version: '' },
      call: {
        caller: { tenant, subject: `key:${tenant}`, scopes: ['infer:*'] },
        priority: 'realtime',
        images,
      },
      work: { precheck: () => undefined, run: () => Promise.resolve() },
    };
    try {
      await stage.check(guarded);
      next();
      return 'ok' as const;
    } catch (error) {
      if (error instanceof GatewayError) return error;
      throw error;
    }
  };
  return { call, next, refusals };
}

async function outcomes(calls: Promise<'ok' | GatewayError>[]): Promise<string[]> {
  return (await Promise.all(calls)).map((result) => (result === 'ok' ? 'ok' : result.kind));
}

describe('RateLimitStage (in-memory limiter)', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('limits requests per tenant and lets the tenant in again when the window ends', async () => {
    const { call, next } = stageWith({ default: { requestsPerSecond: 3, imagesPerSecond: 0 } });
    expect(await outcomes([call('a'), call('a'), call('a'), call('a')])).toEqual([
      'ok',
      'ok',
      'ok',
      'resource_exhausted',
    ]);
    expect(next).toHaveBeenCalledTimes(3);
    jest.advanceTimersByTime(999);
    expect(await call('a')).toBeInstanceOf(GatewayError);
    jest.advanceTimersByTime(1);
    expect(await call('a')).toBe('ok');
  });

  it('refuses with 429 / RESOURCE_EXHAUSTED, a retry delay and the IETF RateLimit fields', async () => {
    const { call, refusals } = stageWith({
      tenants: { 'team-a': { requestsPerSecond: 2, imagesPerSecond: 0 } },
    });
    await call('team-a');
    jest.advanceTimersByTime(300);
    await call('team-a');
    const refusal = await call('team-a');
    if (refusal === 'ok') throw new Error('expected a refusal');
    expect(refusal.httpStatus).toBe(429);
    expect(refusal.message).toBe(
      "rate limit exceeded for tenant 'team-a': tenant-requests allows 2 requests per second; retry in 0.7 s",
    );
    expect(refusal.hints.retryAfterMs).toBe(700);
    expect(refusal.hints.headers).toEqual({
      'ratelimit-policy': '"tenant-requests";q=2;w=1',
      ratelimit: '"tenant-requests";r=0;t=1',
    });
    expect(refusals).toEqual([['team-a', 'tenant-requests']]);
  });

  it('limits each model of a tenant separately and names the model', async () => {
    const { call } = stageWith({
      default: { requestsPerSecond: 10, imagesPerSecond: 0, perModel: { requestsPerSecond: 2 } },
    });
    expect(
      await outcomes([call('a', 'm1'), call('a', 'm1'), call('a', 'm2'), call('a', 'm2')]),
    ).toEqual(['ok', 'ok', 'ok', 'ok']);
    const refusal = await call('a', 'm1');
    if (refusal === 'ok') throw new Error('expected a refusal');
    expect(refusal.message).toMatch(
      /^rate limit exceeded for tenant 'a' on model 'm1': model-requests allows 2 requests per second/,
    );
    // Both limits that apply are advertised; the tenant limit has 10 - 4 left.
    expect(refusal.hints.headers).toEqual({
      'ratelimit-policy': '"tenant-requests";q=10;w=1, "model-requests";q=2;w=1',
      ratelimit: '"tenant-requests";r=6;t=1, "model-requests";r=0;t=1',
    });
  });

  it('counts images: a batch costs its size, and a refused batch eats neither limit', async () => {
    const { call, refusals } = stageWith({
      default: { requestsPerSecond: 5, imagesPerSecond: 10 },
    });
    expect(await call('a', 'nanodet', 8)).toBe('ok');
    const refusal = await call('a', 'nanodet', 4);
    if (refusal === 'ok') throw new Error('expected a refusal');
    expect(refusal.message).toMatch(/tenant-images allows 10 images per second/);
    expect(refusal.hints.headers?.ratelimit).toBe(
      '"tenant-requests";r=4;t=1, "tenant-images";r=2;t=1',
    );
    expect(refusals).toEqual([['a', 'tenant-images']]);
    // The refusal was refunded: the 2 images left still fit, and only 2 requests were counted.
    expect(await call('a', 'nanodet', 2)).toBe('ok');
    const after = await call('a', 'nanodet', 1);
    if (after === 'ok') throw new Error('expected a refusal');
    expect(after.hints.headers?.ratelimit).toBe(
      '"tenant-requests";r=3;t=1, "tenant-images";r=0;t=1',
    );
  });

  it('refuses a batch larger than the whole quota without a retry delay', async () => {
    const { call } = stageWith({
      default: { imagesPerSecond: 100, perModel: { imagesPerSecond: 4 } },
    });
    const refusal = await call('a', 'nanodet', 5);
    if (refusal === 'ok') throw new Error('expected a refusal');
    expect(refusal.kind).toBe('resource_exhausted');
    expect(refusal.message).toMatch(
      /call carries 5 images, more than tenant 'a' on model 'nanodet' may send in 1 s .*send at most 4 images per call/,
    );
    expect(refusal.hints.retryAfterMs).toBeUndefined();
    expect(await call('a', 'nanodet', 4)).toBe('ok');
  });

  it('keeps tenants apart: one tenant at its limit does not starve another', async () => {
    const { call } = stageWith({
      default: { requestsPerSecond: 5, perModel: { requestsPerSecond: 5 } },
    });
    const greedy = await outcomes(Array.from({ length: 50 }, () => call('greedy')));
    expect(greedy.filter((o) => o === 'ok')).toHaveLength(5);
    expect(await outcomes(Array.from({ length: 5 }, () => call('polite')))).toEqual(
      Array(5).fill('ok'),
    );
  });

  it('keys tenants and models exactly, even with separators in their names', async () => {
    const { call } = stageWith({ default: { perModel: { requestsPerSecond: 1 } } });
    expect(await outcomes([call('a:b', 'c'), call('a', 'b:c'), call('a', 'b%3Ac')])).toEqual([
      'ok',
      'ok',
      'ok',
    ]);
  });

  it('lets everything through when every limit is 0 (unlimited)', async () => {
    const { call, next } = stageWith({ default: { requestsPerSecond: 0, imagesPerSecond: 0 } });
    expect(await outcomes(Array.from({ length: 100 }, () => call('a', 'm', 64)))).toEqual(
      Array(100).fill('ok'),
    );
    expect(next).toHaveBeenCalledTimes(100);
  });

  it('uses longer windows as quota = rate × window', async () => {
    const { call } = stageWith({ default: { requestsPerSecond: 2, imagesPerSecond: 0 } }, 5);
    const results = await outcomes(Array.from({ length: 11 }, () => call('a')));
    expect(results.filter((o) => o === 'ok')).toHaveLength(10);
    const refusal = await call('a');
    if (refusal === 'ok') throw new Error('expected a refusal');
    expect(refusal.hints.headers?.['ratelimit-policy']).toBe('"tenant-requests";q=10;w=5');
    expect(refusal.hints.retryAfterMs).toBe(5000);
  });
});
