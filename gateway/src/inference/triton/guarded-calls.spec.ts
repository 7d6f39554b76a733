import { Logger } from '@nestjs/common';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import type { BackendProtectionObserver } from '../../breakers/breaker-metrics';
import { RetryBudget } from '../../breakers/retry-budget';
import { GatewayError } from '../../errors/gateway-error';
import { EndpointPool, type TritonEndpoint } from './endpoint-pool';
import { GuardedCalls } from './guarded-calls';
import type { TritonClient } from './triton-client';

function serviceError(code: status, details: string): ServiceError {
  return Object.assign(new Error(`${code} ${details}`), {
    code,
    details,
    metadata: new Metadata(),
  });
}

/** Health answers of one endpoint: always up with nanodet ready. */
class UpClient {
  constructor(readonly address: string) {}
  serverReady = () => Promise.resolve(true);
  modelReady = () => Promise.resolve(true);
  close = () => {};
}

function recordingObserver() {
  const events: string[] = [];
  const observer: BackendProtectionObserver = {
    created: () => {},
    transition: (endpoint, from, to) => events.push(`${endpoint} ${from}→${to}`),
    fastFail: (model) => events.push(`fast-fail ${model}`),
    retried: (reason) => events.push(`retry ${reason}`),
    retryBudgetExhausted: () => events.push('budget exhausted'),
  };
  return { events, observer };
}

const BREAKER = {
  errorThresholdPercent: 50,
  volumeThreshold: 4,
  windowMs: 10_000,
  resetTimeoutMs: 5000,
};

async function setUp(
  addresses: string[],
  budget = { percent: 10, minPerSecond: 1 },
  breaker = BREAKER,
) {
  const { events, observer } = recordingObserver();
  const pool = new EndpointPool(
    addresses.map((a) => new UpClient(a)) as unknown as TritonClient[],
    {
      timeoutMs: 1000,
      healthIntervalMs: 60_000,
      random: () => 0,
      breaker,
      observer,
    },
  );
  pool.setModels(['nanodet']);
  await pool.checkNow();
  const guarded = new GuardedCalls(
    pool,
    new RetryBudget({ ...budget, windowMs: 10_000 }),
    observer,
  );
  return { pool, guarded, events };
}

/** A call whose outcome depends on the endpoint it lands on; records where it went. */
function scripted(outcomes: Record<string, () => Promise<string>>) {
  const visited: string[] = [];
  const run = (endpoint: TritonEndpoint): Promise<string> => {
    visited.push(endpoint.address);
    return outcomes[endpoint.address]();
  };
  return { visited, run };
}

const refused = () =>
  Promise.reject(serviceError(status.UNAVAILABLE, 'No connection established: ECONNREFUSED'));
const answer = () => Promise.resolve('answer');

describe('GuardedCalls (Triton calls under breakers, with a retry budget)', () => {
  let pools: EndpointPool[] = [];
  beforeAll(() => {
    Logger.overrideLogger(false);
  });
  afterEach(() => {
    for (const pool of pools) pool.close();
    pools = [];
  });
  const track = async (...args: Parameters<typeof setUp>) => {
    const set = await setUp(...args);
    pools.push(set.pool);
    return set;
  };

  it('a refused connection opens that breaker, and the call is retried once on another endpoint', async () => {
    const { pool, guarded, events } = await track(['a:1', 'b:1']);
    const { visited, run } = scripted({ 'a:1': refused, 'b:1': answer });
    await expect(guarded.call('nanodet', {}, run)).resolves.toBe('answer');
    expect(visited).toEqual(['a:1', 'b:1']);
    expect(pool.endpoints[0].breaker.state).toBe('open');
    expect(events).toEqual(['a:1 closed→open', 'retry unavailable']);
  });

  it('the only endpoint refusing connections: the failure says when to try again', async () => {
    const { pool, guarded, events } = await track(['a:1']);
    const { run } = scripted({ 'a:1': refused });
    const failure = await guarded.call('nanodet', {}, run).catch((error: unknown) => error);
    expect(failure).toMatchObject({
      kind: 'unavailable',
      message: 'Triton endpoint a:1 unavailable: No connection established: ECONNREFUSED',
      hints: { retryAfterMs: 60_000 }, // taken out until a health round (every 60 s here) passes
    });
    expect(pool.endpoints[0].breaker.state).toBe('open');
    expect(events).toEqual(['a:1 closed→open']);
  });

  it('P2C skips endpoints whose breaker is open', async () => {
    const { pool, guarded } = await track(['a:1', 'b:1']);
    pool.endpoints[0].breaker.trip('test');
    const { visited, run } = scripted({ 'a:1': answer, 'b:1': answer });
    for (let i = 0; i < 5; i += 1) await guarded.call('nanodet', {}, run);
    expect(visited).toEqual(['b:1', 'b:1', 'b:1', 'b:1', 'b:1']);
  });

  it('every breaker open: fails fast with unavailable and the time until the first probe', async () => {
    const { pool, guarded, events } = await track(['a:1', 'b:1']);
    pool.endpoints[0].breaker.trip('UNAVAILABLE: gone');
    pool.endpoints[1].breaker.trip('UNAVAILABLE: gone');
    const { visited, run } = scripted({ 'a:1': answer, 'b:1': answer });
    const failure = await guarded.call('nanodet', {}, run).catch((error: unknown) => error);
    expect(visited).toEqual([]);
    expect(failure).toBeInstanceOf(GatewayError);
    expect(failure).toMatchObject({
      kind: 'unavailable',
      message: expect.stringMatching(
        /^every Triton endpoint serving model 'nanodet' has its circuit breaker open \(a:1: circuit breaker open \(last failure: UNAVAILABLE: gone\), next probe in \d+ ms; b:1: /,
      ),
    });
    const { retryAfterMs } = (failure as GatewayError).hints;
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(5000);
    expect(events).toContain('fast-fail nanodet');
  });

  it('never retries failures that are not safe or cheap to retry', async () => {
    const { guarded, events } = await track(['a:1', 'b:1']);
    const failures: Record<string, () => Promise<string>> = {
      timeout: () => Promise.reject(serviceError(status.DEADLINE_EXCEEDED, 'Deadline exceeded')),
      internal: () => Promise.reject(serviceError(status.INTERNAL, 'onnx runtime error')),
      invalid: () => Promise.reject(serviceError(status.INVALID_ARGUMENT, 'bad shape')),
      exhausted: () => Promise.reject(serviceError(status.RESOURCE_EXHAUSTED, 'queue full')),
    };
    for (const failure of Object.values(failures)) {
      const { visited, run } = scripted({ 'a:1': failure, 'b:1': answer });
      await expect(guarded.call('nanodet', {}, run)).rejects.toBeInstanceOf(GatewayError);
      expect(visited).toEqual(['a:1']);
    }
    expect(events.filter((event) => event.startsWith('retry'))).toEqual([]);
  });

  it('never retries for a caller that went away or whose deadline passed', async () => {
    const { guarded } = await track(['a:1', 'b:1']);
    const controller = new AbortController();
    const { visited, run } = scripted({
      'a:1': () => {
        controller.abort();
        return refused();
      },
      'b:1': answer,
    });
    await expect(guarded.call('nanodet', { signal: controller.signal }, run)).rejects.toMatchObject(
      {
        kind: 'unavailable',
      },
    );
    expect(visited).toEqual(['a:1']);

    const late = scripted({ 'a:1': answer, 'b:1': answer });
    await expect(
      guarded.call('nanodet', { deadline: Date.now() - 1 }, late.run),
    ).rejects.toMatchObject({
      kind: 'deadline_exceeded',
      message: expect.stringContaining("the request's deadline passed"),
    });
    expect(late.visited).toEqual([]);
  });

  it("a DEADLINE_EXCEEDED under the caller's own deadline names it and does not count against the endpoint", async () => {
    const { pool, guarded } = await track(['a:1']);
    jest.useFakeTimers({ now: 1_000_000, doNotFake: ['nextTick', 'setImmediate'] });
    try {
      const { run } = scripted({
        'a:1': () => {
          jest.setSystemTime(Date.now() + 25); // the call outlives the caller's 20 ms
          return Promise.reject(serviceError(status.DEADLINE_EXCEEDED, 'Deadline exceeded'));
        },
      });
      for (let i = 0; i < 6; i += 1) {
        const terms = { deadline: Date.now() + 20 };
        await expect(guarded.call('nanodet', terms, run)).rejects.toMatchObject({
          kind: 'deadline_exceeded',
          message: "the request's deadline passed before Triton endpoint a:1 answered",
        });
      }
      expect(pool.endpoints[0].breaker.state).toBe('closed');
    } finally {
      jest.useRealTimers();
    }
  });

  it('retries stay within the budget; the rest fail with their own error', async () => {
    // 10% of 20 requests + 0 per second: 2 retries. A volume threshold out of reach keeps a:1 in.
    const { guarded, events } = await track(
      ['a:1', 'b:1'],
      { percent: 10, minPerSecond: 0 },
      { ...BREAKER, volumeThreshold: 1000 },
    );
    // random() = 0: P2C picks a:1 first every time; it fails as unavailable without being taken
    // out (a GatewayError, not a transport failure), b:1 answers.
    const notReady = () => Promise.reject(new GatewayError('unavailable', 'a:1: model not ready'));
    const { visited, run } = scripted({ 'a:1': notReady, 'b:1': answer });
    const results: unknown[] = [];
    for (let i = 0; i < 20; i += 1) {
      results.push(await guarded.call('nanodet', {}, run).catch((error: unknown) => error));
    }
    expect(results.filter((result) => result === 'answer')).toHaveLength(2);
    expect(visited.filter((address) => address === 'b:1')).toHaveLength(2);
    for (const failure of results.filter((result) => result !== 'answer')) {
      expect(failure).toMatchObject({
        kind: 'unavailable',
        message: expect.stringContaining('a:1'),
      });
    }
    expect(events.filter((event) => event === 'retry unavailable')).toHaveLength(2);
    expect(events.filter((event) => event === 'budget exhausted')).toHaveLength(18);
  });
});
