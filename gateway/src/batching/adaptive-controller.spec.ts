import { seededRandom } from '@test-support';
import { AdaptiveController, type BatchLimits } from './adaptive-controller';

interface Load {
  /** Time between arrivals (ms). */
  gapMs: number;
  /** How big a batch gets under `limits` at this load. */
  batchSize(limits: BatchLimits): number;
  /** Latency of one member of a batch of `size` formed under `limits`, before noise. */
  latencyMs(size: number, limits: BatchLimits): number;
  /** The batch's own backend time; by default its members' latency (no backlog). */
  serviceMs?(size: number): number;
}

/** Feeds the controller batch after batch; returns its limits and the served latencies over time. */
function simulate(controller: AdaptiveController, load: Load, batches: number, seed = 7) {
  const random = seededRandom(seed);
  const history: BatchLimits[] = [];
  const latencies: number[] = [];
  let now = 0;
  for (let batch = 0; batch < batches; batch += 1) {
    const limits = controller.limits();
    const size = load.batchSize(limits);
    for (let member = 0; member < size; member += 1) {
      now += load.gapMs;
      controller.arrival(now);
    }
    // ±20% noise on every member, and one member in fifty twice as slow (a GC pause, a busy core).
    const latenciesMs = Array.from({ length: size }, () => {
      const base = load.latencyMs(size, limits) * (0.8 + 0.4 * random());
      return random() < 0.02 ? base * 2 : base;
    });
    const serviceMs = load.serviceMs ? load.serviceMs(size) : Math.max(...latenciesMs);
    controller.completed({ size, limit: limits.maxBatchSize, latenciesMs, serviceMs });
    latencies.push(...latenciesMs);
    history.push(limits);
  }
  return { history, latencies };
}

function p99(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(0.99 * sorted.length) - 1];
}

const OBJECTIVE = 100;

describe('AdaptiveController', () => {
  /** Saturated: every batch fills to the limit; a batch of b takes 20 + 8·b ms. */
  const saturated: Load = {
    gapMs: 0.5,
    batchSize: (limits) => limits.maxBatchSize,
    latencyMs: (size) => 20 + 8 * size,
  };

  it('grows the batch size under load until the p99 objective binds, then stays near it', () => {
    const controller = new AdaptiveController({
      objectiveMs: OBJECTIVE,
      initial: { maxBatchSize: 1, maxQueueDelayMs: 0 },
      maxBatchSize: 32,
    });
    const { history, latencies } = simulate(controller, saturated, 4000);
    const sizes = history.map((limits) => limits.maxBatchSize);
    // The p99 falls among the stragglers, about 2 × (20 + 8·b): 88 ms at b = 3, 104 ms at b = 4.
    const settled = sizes.slice(2000);
    expect(Math.min(...settled)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...settled)).toBeLessThanOrEqual(4);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(5);
    expect(settled.filter((size) => size === 3).length).toBeGreaterThan(settled.length / 2);
    // Held within 10% of the objective once settled.
    const settledLatencies = latencies.slice(latencies.length / 2);
    expect(p99(settledLatencies)).toBeLessThanOrEqual(OBJECTIVE * 1.1);
    // Hysteresis and cooldown: the size does not flap from batch to batch.
    const changes = settled.filter(
      (size, index) => index > 0 && size !== settled[index - 1],
    ).length;
    expect(changes).toBeLessThan(settled.length / 20);
  });

  it('backs off multiplicatively when the backend slows down, and recovers', () => {
    let slow = false;
    const load: Load = {
      ...saturated,
      latencyMs: (size) => (slow ? 2 : 1) * (10 + 4 * size),
    };
    const controller = new AdaptiveController({
      objectiveMs: OBJECTIVE,
      initial: { maxBatchSize: 8, maxQueueDelayMs: 0 },
      maxBatchSize: 16,
    });
    const before = simulate(controller, load, 2000).history.at(-1)!.maxBatchSize;
    slow = true;
    const during = simulate(controller, load, 2000, 11);
    const after = during.history.at(-1)!.maxBatchSize;
    expect(after).toBeLessThan(before);
    expect(p99(during.latencies.slice(-2000))).toBeLessThanOrEqual(OBJECTIVE * 1.1);
    slow = false;
    const recovered = simulate(controller, load, 2000, 13).history.at(-1)!.maxBatchSize;
    expect(recovered).toBeGreaterThan(after);
  });

  it('does not shrink fast batches when the time is spent queueing behind a backlog: it grows them', () => {
    // A closed loop past saturation: every request waits ~400 ms behind others whatever the batch
    // size, while a batch of b itself takes 10 + 3·b ms. Smaller batches would serve fewer.
    const backlog: Load = {
      ...saturated,
      latencyMs: (size) => 400 + 10 + 3 * size,
      serviceMs: (size) => 10 + 3 * size,
    };
    const controller = new AdaptiveController({
      objectiveMs: OBJECTIVE,
      initial: { maxBatchSize: 4, maxQueueDelayMs: 2 },
      maxBatchSize: 16,
    });
    const sizes = simulate(controller, backlog, 2000).history.map((limits) => limits.maxBatchSize);
    expect(Math.min(...sizes)).toBe(4);
    // Grows while a batch still fits in the budget: 2 × (10 + 3·b) stays under 85% of 100 ms.
    expect(sizes.at(-1)).toBeGreaterThan(8);
    expect(10 + 3 * sizes.at(-1)!).toBeLessThanOrEqual(OBJECTIVE / 2);
  });

  it('spends latency headroom on the queue delay when batches close on the delay, within its ceiling', () => {
    // A request every 2 ms: a batch holds what arrives within the delay.
    const load: Load = {
      gapMs: 2,
      batchSize: (limits) =>
        Math.min(limits.maxBatchSize, 1 + Math.floor(limits.maxQueueDelayMs / 2)),
      latencyMs: (size, limits) => limits.maxQueueDelayMs / 2 + 15 + 3 * size,
    };
    const controller = new AdaptiveController({
      objectiveMs: OBJECTIVE,
      initial: { maxBatchSize: 8, maxQueueDelayMs: 0 },
      maxBatchSize: 8,
    });
    const { history, latencies } = simulate(controller, load, 3000);
    const delays = history.map((limits) => limits.maxQueueDelayMs);
    expect(Math.max(...delays)).toBeLessThanOrEqual(OBJECTIVE / 4);
    expect(delays.at(-1)).toBeGreaterThan(0);
    expect(load.batchSize(history.at(-1)!)).toBeGreaterThan(1);
    expect(p99(latencies.slice(latencies.length / 2))).toBeLessThanOrEqual(OBJECTIVE * 1.1);
  });

  it('gives back a queue delay that fills nothing at low load', () => {
    // One request every 80 ms: nobody joins a batch within any delay the controller may choose.
    const load: Load = {
      gapMs: 80,
      batchSize: () => 1,
      latencyMs: (_size, limits) => limits.maxQueueDelayMs + 30,
    };
    const controller = new AdaptiveController({
      objectiveMs: OBJECTIVE,
      initial: { maxBatchSize: 8, maxQueueDelayMs: 20 },
      maxBatchSize: 8,
    });
    const { history } = simulate(controller, load, 1000);
    expect(history.at(-1)).toEqual({ maxBatchSize: 8, maxQueueDelayMs: 0 });
    expect(Math.max(...history.map((limits) => limits.maxQueueDelayMs))).toBeLessThanOrEqual(20);
  });

  it('starts within its bounds whatever the initial settings', () => {
    const controller = new AdaptiveController({
      objectiveMs: 40,
      initial: { maxBatchSize: 64, maxQueueDelayMs: 500 },
      maxBatchSize: 8,
    });
    expect(controller.limits()).toEqual({ maxBatchSize: 8, maxQueueDelayMs: 10 });
    expect(controller.observedP99Ms).toBeUndefined();
  });
});
