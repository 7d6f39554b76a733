import { seededRandom } from '@test-support';
import { AdaptiveConcurrencyLimit } from './adaptive-concurrency-limit';

/**
 * A backend that serves `cores` calls at full speed and shares itself among more (processor
 * sharing): a call takes `baseMs` while at most `cores` run, proportionally longer beyond.
 */
function simulate(options: {
  limit: AdaptiveConcurrencyLimit;
  cores: () => number;
  baseMs: number;
  /** Calls the clients have waiting; the limit caps how many run. */
  demand: number;
  calls: number;
  seed?: number;
}): { limits: number[]; latencies: number[] } {
  const random = seededRandom(options.seed ?? 1);
  const { limit } = options;
  let now = 0;
  const limits: number[] = [];
  const latencies: number[] = [];
  for (let call = 0; call < options.calls; call += 1) {
    const running = Math.min(options.demand, limit.current);
    const jitter = 0.9 + 0.2 * random();
    const rttMs = options.baseMs * Math.max(1, running / options.cores()) * jitter;
    now += rttMs / running; // with `running` calls in flight, one ends every rtt / running
    limit.observe(rttMs, running, now);
    limits.push(limit.current);
    latencies.push(rttMs);
  }
  return { limits, latencies };
}

const tail = (values: number[]) => values.slice(-200);

describe('AdaptiveConcurrencyLimit against a simulated backend whose best concurrency is known', () => {
  it('comes down from a too-large max to between the cores the backend has and twice that, keeping latency near the 2× tolerance', () => {
    const limit = new AdaptiveConcurrencyLimit(1, 32, 0);
    const { limits, latencies } = simulate({
      limit,
      cores: () => 2,
      baseMs: 40,
      demand: 100,
      calls: 2000,
    });
    expect(Math.min(...tail(limits))).toBeGreaterThanOrEqual(2);
    // At 4 calls a call takes 2× its unloaded time: the limit probes 5 and comes back.
    expect(Math.max(...tail(limits))).toBeLessThanOrEqual(5);
    expect(Math.max(...tail(latencies))).toBeLessThanOrEqual(2.5 * 40 * 1.1);
  });

  it('grows from one to use the cores when calls stay fast', () => {
    const limit = new AdaptiveConcurrencyLimit(1, 32, 0, 1);
    const { limits } = simulate({ limit, cores: () => 8, baseMs: 20, demand: 100, calls: 2000 });
    expect(Math.min(...tail(limits))).toBeGreaterThanOrEqual(8);
    expect(Math.max(...tail(limits))).toBeLessThanOrEqual(17);
  });

  it('follows a backend that gains capacity', () => {
    const limit = new AdaptiveConcurrencyLimit(1, 64, 0);
    let cores = 2;
    const run = () => simulate({ limit, cores: () => cores, baseMs: 30, demand: 200, calls: 1500 });
    expect(Math.max(...tail(run().limits))).toBeLessThanOrEqual(5);
    cores = 16;
    expect(Math.min(...tail(run().limits))).toBeGreaterThanOrEqual(16);
  });

  it('does not grow while callers send less than the limit allows (nothing to learn from)', () => {
    const limit = new AdaptiveConcurrencyLimit(1, 32, 0, 4);
    simulate({ limit, cores: () => 16, baseMs: 20, demand: 2, calls: 1000 });
    expect(limit.current).toBe(4);
  });

  it('stays within its bounds and moves inside new ones', () => {
    const limit = new AdaptiveConcurrencyLimit(1, 3, 0);
    simulate({ limit, cores: () => 64, baseMs: 5, demand: 100, calls: 500 });
    expect(limit.current).toBe(3);
    limit.setBounds(1, 2);
    expect(limit.current).toBe(2);
    expect(limit.state.minRttMs).toBeGreaterThan(4);
  });
});
