import { Logger } from '@nestjs/common';
import { GatewayError } from '../errors/gateway-error';
import type { BreakerSettings, BreakerState } from './breaker-settings';
import { BreakerRefusal, EndpointBreaker, type BreakerObserver } from './endpoint-breaker';
import { countsAgainstEndpoint } from './endpoint-failure';

const SETTINGS: BreakerSettings = {
  errorThresholdPercent: 50,
  volumeThreshold: 4,
  windowMs: 10_000,
  resetTimeoutMs: 5_000,
};

const sick = () => Promise.reject(new GatewayError('internal', 'Triton failed (INTERNAL): boom'));
const ok = () => Promise.resolve('ok');

class RecordingObserver implements BreakerObserver {
  readonly transitions: string[] = [];
  readonly created: (endpoint: string) => void = (endpoint) =>
    this.transitions.push(`${endpoint}: created`);
  readonly transition = (endpoint: string, from: BreakerState, to: BreakerState): void => {
    this.transitions.push(`${endpoint}: ${from} → ${to}`);
  };
}

describe('EndpointBreaker', () => {
  let observer: RecordingObserver;
  let breaker: EndpointBreaker;

  beforeAll(() => {
    Logger.overrideLogger(false);
  });
  beforeEach(() => {
    // Fake timers fake Date too: the reset timeout and retry-after are exact, nothing waits.
    jest.useFakeTimers({ now: 1_000_000 });
    observer = new RecordingObserver();
    breaker = new EndpointBreaker('a:1', 'Triton endpoint a:1', SETTINGS, observer);
  });
  afterEach(() => {
    breaker.close();
    jest.useRealTimers();
  });

  async function fail(times: number, task: () => Promise<unknown> = sick): Promise<void> {
    for (let i = 0; i < times; i += 1) await breaker.run(task).catch(() => undefined);
  }

  it('stays closed below the volume threshold, opens past the error percentage', async () => {
    await fail(3);
    expect(breaker.state).toBe('closed'); // 3 calls < volume threshold 4
    await fail(1);
    expect(breaker.state).toBe('open'); // 4 of 4 failed
    expect(breaker.admits).toBe(false);
    expect(observer.transitions).toEqual(['a:1: created', 'a:1: closed → open']);
  });

  it('does not open while failures stay at or under the percentage', async () => {
    await breaker.run(ok);
    await breaker.run(ok);
    await fail(2); // 2 of 4 = 50%, not more
    expect(breaker.state).toBe('closed');
    await fail(1); // 3 of 5 = 60%
    expect(breaker.state).toBe('open');
  });

  it('open: fails fast without calling, with the time until the half-open probe', async () => {
    await fail(4);
    jest.advanceTimersByTime(1_500);
    const task = jest.fn(ok);
    const refusal = await breaker.run(task).catch((error: unknown) => error);
    expect(task).not.toHaveBeenCalled();
    expect(refusal).toBeInstanceOf(BreakerRefusal);
    expect(refusal).toMatchObject({
      kind: 'unavailable',
      hints: { retryAfterMs: 3_500 },
      message: expect.stringContaining(
        'Triton endpoint a:1 refused the call: circuit breaker open (last failure: Triton failed (INTERNAL): boom), next probe in 3500 ms',
      ),
    });
    expect(breaker.retryAfterMs()).toBe(3_500);
  });

  it('half-open lets one probe through; its success closes the breaker', async () => {
    await fail(4);
    jest.advanceTimersByTime(5_000);
    expect(breaker.state).toBe('half_open');
    expect(breaker.admits).toBe(true);

    let answer!: (value: string) => void;
    const probe = breaker.run(() => new Promise<string>((resolve) => (answer = resolve)));
    // While the probe is out, nothing else goes.
    expect(breaker.admits).toBe(false);
    await expect(breaker.run(ok)).rejects.toBeInstanceOf(BreakerRefusal);
    answer('fine');
    await expect(probe).resolves.toBe('fine');
    expect(breaker.state).toBe('closed');
    expect(breaker.admits).toBe(true);
    expect(observer.transitions).toEqual([
      'a:1: created',
      'a:1: closed → open',
      'a:1: open → half_open',
      'a:1: half_open → closed',
    ]);
  });

  it('a failing probe opens it again for another reset timeout', async () => {
    await fail(4);
    jest.advanceTimersByTime(5_000);
    await fail(1);
    expect(breaker.state).toBe('open');
    expect(breaker.retryAfterMs()).toBe(5_000);
    jest.advanceTimersByTime(5_000);
    expect(breaker.state).toBe('half_open');
  });

  it("a client's bad input, a cancelled call and the caller's own deadline never open it", async () => {
    const invalid = () => Promise.reject(new GatewayError('invalid_argument', 'bad shape'));
    const missing = () => Promise.reject(new GatewayError('not_found', "unknown model 'x'"));
    await fail(10, invalid);
    await fail(10, missing);
    const controller = new AbortController();
    controller.abort();
    for (let i = 0; i < 10; i += 1) {
      await breaker
        .run(() => Promise.reject(new GatewayError('unavailable', 'call cancelled')), {
          signal: controller.signal,
        })
        .catch(() => undefined);
      await breaker
        .run(() => Promise.reject(new GatewayError('deadline_exceeded', 'too slow')), {
          deadline: Date.now() - 1,
        })
        .catch(() => undefined);
    }
    expect(breaker.state).toBe('closed');
    // The same deadline_exceeded under the gateway's own timeout does count.
    for (let i = 0; i < 4; i += 1) {
      await breaker
        .run(() => Promise.reject(new GatewayError('deadline_exceeded', 'too slow')), {
          deadline: Date.now() + 60_000,
        })
        .catch(() => undefined);
    }
    await fail(40);
    expect(breaker.state).toBe('open');
  });

  it('passes failures through unchanged and trips open at once when told the endpoint is gone', async () => {
    const failure = new GatewayError('invalid_argument', 'bad shape');
    await expect(breaker.run(() => Promise.reject(failure))).rejects.toBe(failure);
    breaker.trip('UNAVAILABLE: connection refused');
    expect(breaker.state).toBe('open');
    expect(breaker.describe()).toBe(
      'circuit breaker open (last failure: UNAVAILABLE: connection refused), next probe in 5000 ms',
    );
  });
});

describe('countsAgainstEndpoint', () => {
  it('counts what says the endpoint is sick, nothing the request or caller caused', () => {
    const now = 1_000;
    const kinds = ['unavailable', 'deadline_exceeded', 'internal'] as const;
    for (const kind of kinds) expect(countsAgainstEndpoint(new GatewayError(kind, 'x'))).toBe(true);
    for (const kind of [
      'invalid_argument',
      'not_found',
      'resource_exhausted',
      'cancelled',
    ] as const) {
      expect(countsAgainstEndpoint(new GatewayError(kind, 'x'))).toBe(false);
    }
    expect(countsAgainstEndpoint(new Error('socket hang up'))).toBe(true);
    const late = new GatewayError('deadline_exceeded', 'x');
    expect(countsAgainstEndpoint(late, { deadline: now }, now)).toBe(false);
    expect(countsAgainstEndpoint(late, { deadline: now + 1 }, now)).toBe(true);
  });
});
