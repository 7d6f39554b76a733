/**
 * What a hostile input costs the control plane, measured on a real control plane in a child process
 * (the counterpart of gateway/test/hostile/cost-meter.ts):
 * - how long the event loop was blocked while the input was being served (the main thread's CPU
 *   time between two turns of the loop: the 100 ms bound) and stalled (wall time, which
 *   counts waiting for a core too), from inside the process,
 * - peak RSS growth over the window (/proc VmHWM, reset at the start), heap/external growth, and
 *   the heap still in use after a full collection (what the input left behind),
 * - the database queries it made meanwhile (probes included),
 * - how long normal GraphQL queries sent *during* the hostile input took (a probe loop),
 * - whether the process is still alive afterwards.
 * Bounds are orders of magnitude (a stall of seconds, hundreds of MiB, a crash), never timings of
 * healthy work.
 */
import { memory, resetPeakRss } from '../../../load-tests/lib/process-stats';
import { type MeteredControlPlane } from './metered-control-plane';

const MIB = 1024 * 1024;

export interface Cost {
  /** Wall time of the hostile action, ms. */
  wallMs: number;
  /** Longest event-loop stall in the control plane while it ran (wall time), ms. */
  eventLoopMaxMs: number;
  /** Most main-thread CPU time between two event-loop turns while it ran, ms: blocking. */
  eventLoopBlockMaxMs: number;
  /** Peak RSS during the window minus RSS at its start. */
  rssPeakGrowthBytes: number;
  /** heapUsed / external growth from the start to the end of the window. */
  heapGrowthBytes: number;
  externalGrowthBytes: number;
  /** Heap still in use after a full garbage collection, end minus start: what the input left behind. */
  retainedHeapGrowthBytes: number;
  /** Database queries made during the window, the probes' included. */
  databaseQueries: number;
  /** Latency of each normal query sent while the hostile action ran (at least one), ms. */
  probeMs: number[];
  /** Status of each probe: anything but 200 means normal callers were turned away. */
  probeStatuses: number[];
  alive: boolean;
}

export interface CostBounds {
  /** Default 100 ms: the bound on blocking the event loop, on any input. */
  eventLoopBlockMaxMs?: number;
  /** Default 1,000 ms: the wall-clock stall (blocking plus waiting for a core). */
  eventLoopMaxMs?: number;
  /** Default 128 MiB: garbage the input made may raise the peak before the collector runs. */
  rssPeakGrowthBytes?: number;
  /** Default 16 MiB: what stays in use once garbage is collected. */
  retainedHeapGrowthBytes?: number;
  /** Default 2,000 ms: a normal query during the hostile input is answered about as usual. */
  probeMaxMs?: number;
}

const WARM_UP_PROBES = 5;

/** The normal call probes make: every registered model, read from the database. */
export const PROBE_QUERY = '{ models { name versions { version } } }';

async function probe(controlPlane: MeteredControlPlane): Promise<[number, number]> {
  const started = performance.now();
  try {
    const response = await fetch(`${controlPlane.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: PROBE_QUERY }),
      signal: AbortSignal.timeout(30_000),
    });
    await response.arrayBuffer();
    return [performance.now() - started, response.status];
  } catch {
    return [performance.now() - started, 0];
  }
}

/**
 * Runs `hostile` against the control plane while a probe loop sends normal queries one after
 * another (from `probeDelayMs` after the start until the action is done; at least one), and
 * returns what it all cost. The action's own result is the caller's to check.
 */
export async function measureCost<T>(
  controlPlane: MeteredControlPlane,
  hostile: () => Promise<T>,
  options: { probeDelayMs?: number } = {},
): Promise<{ cost: Cost; result: T }> {
  // Warm: the first queries of a process pay for lazy initialisation (JIT, the database's
  // caches), which is not the input's cost.
  for (let i = 0; i < WARM_UP_PROBES; i += 1) await probe(controlPlane);
  await controlPlane.inside();
  resetPeakRss(controlPlane.pid);
  const before = memory(controlPlane.pid);
  const insideBefore = await controlPlane.inside();

  const started = performance.now();
  let done = false;
  const probes: [number, number][] = [];
  const probing = (async () => {
    await new Promise((resolve) => setTimeout(resolve, options.probeDelayMs ?? 20));
    do probes.push(await probe(controlPlane));
    while (!done && controlPlane.alive());
  })();
  let result: T;
  try {
    result = await hostile();
  } finally {
    done = true;
  }
  const wallMs = performance.now() - started;
  await probing;

  const alive = controlPlane.alive();
  const after = alive ? memory(controlPlane.pid) : undefined;
  const insideAfter = alive ? await controlPlane.inside() : undefined;
  return {
    result,
    cost: {
      wallMs,
      eventLoopMaxMs: insideAfter?.eventLoopMaxMs ?? Infinity,
      eventLoopBlockMaxMs: insideAfter?.eventLoopBlockMaxMs ?? Infinity,
      rssPeakGrowthBytes: after ? (after.peakRssMiB - before.rssMiB) * MIB : Infinity,
      heapGrowthBytes: insideAfter
        ? insideAfter.memory.heapUsed - insideBefore.memory.heapUsed
        : Infinity,
      externalGrowthBytes: insideAfter
        ? insideAfter.memory.external - insideBefore.memory.external
        : Infinity,
      retainedHeapGrowthBytes: insideAfter
        ? insideAfter.retainedHeapBytes - insideBefore.retainedHeapBytes
        : Infinity,
      databaseQueries: insideAfter
        ? insideAfter.databaseQueries - insideBefore.databaseQueries
        : Infinity,
      probeMs: probes.map(([ms]) => ms),
      probeStatuses: probes.map(([, status]) => status),
      alive,
    },
  };
}

/**
 * What normal traffic alone costs right now: probes only, for `durationMs`. On a machine shared
 * with other work, scheduling delays show up as event-loop stalls and slow probes that no input
 * caused; expectCheap scales its time bounds by this reading.
 */
export async function measureBaseline(
  controlPlane: MeteredControlPlane,
  durationMs = 1000,
): Promise<Cost> {
  const { cost } = await measureCost(
    controlPlane,
    () => new Promise((resolve) => setTimeout(resolve, durationMs)),
  );
  return cost;
}

/**
 * measureCost between two baselines (before and after; the worse of each reading kept), for the
 * bounds to compare with: how busy the machine was is known on both sides of the input.
 */
export async function measureAgainstBaseline<T>(
  controlPlane: MeteredControlPlane,
  hostile: () => Promise<T>,
): Promise<{ cost: Cost; baseline: Cost; result: T }> {
  const before = await measureBaseline(controlPlane);
  const { cost, result } = await measureCost(controlPlane, hostile);
  const after = await measureBaseline(controlPlane);
  const baseline: Cost = {
    ...before,
    eventLoopMaxMs: Math.max(before.eventLoopMaxMs, after.eventLoopMaxMs),
    probeMs: [...before.probeMs, ...after.probeMs],
    probeStatuses: [...before.probeStatuses, ...after.probeStatuses],
  };
  return { cost, baseline, result };
}

/**
 * Measures `hostile` against a baseline and requires it to be cheap (expectCheap). A reading that
 * breaks a bound is taken once more before the test fails: an expensive input is expensive every
 * time (its cost is seconds and hundreds of MiB), a spike of a machine shared with other work
 * seldom repeats. Returns the passing reading and the action's result; fails with both readings.
 */
export async function measureCheap<T>(
  controlPlane: MeteredControlPlane,
  what: string,
  hostile: () => Promise<T>,
  bounds: CostBounds = {},
): Promise<{ cost: Cost; result: T }> {
  const failures: string[] = [];
  for (let attempt = 1; attempt <= 2; attempt += 1) {
    const { cost, baseline, result } = await measureAgainstBaseline(controlPlane, hostile);
    reportCost(attempt === 1 ? what : `${what} (again)`, cost);
    try {
      expectCheap(cost, bounds, what, baseline);
      return { cost, result };
    } catch (error) {
      failures.push(error instanceof Error ? error.message : String(error));
    }
  }
  throw new Error(failures.join('\n--- measured again:\n'));
}

/**
 * Fails with every bound the cost broke, and the whole reading, so a failure says what it cost.
 * With a `baseline` (measureBaseline), the wall-time bounds are at least 3 x what normal traffic
 * took in it: the broken behaviours these tests catch cost seconds, not a busy machine's 150 ms.
 * Blocking is the control plane's own CPU, which a busy machine does not inflate: never scaled.
 */
export function expectCheap(
  cost: Cost,
  bounds: CostBounds = {},
  what = 'the hostile input',
  baseline?: Cost,
): void {
  const scaled = (bound: number, normal: number | undefined): number =>
    normal === undefined ? bound : Math.max(bound, 3 * normal);
  const limits = {
    eventLoopBlockMaxMs: bounds.eventLoopBlockMaxMs ?? 100,
    eventLoopMaxMs: scaled(bounds.eventLoopMaxMs ?? 1000, baseline?.eventLoopMaxMs),
    rssPeakGrowthBytes: bounds.rssPeakGrowthBytes ?? 128 * MIB,
    retainedHeapGrowthBytes: bounds.retainedHeapGrowthBytes ?? 16 * MIB,
    probeMaxMs: scaled(bounds.probeMaxMs ?? 2000, baseline && Math.max(...baseline.probeMs)),
  };
  const broken: string[] = [];
  if (!cost.alive) broken.push('the control plane process died');
  if (cost.eventLoopBlockMaxMs > limits.eventLoopBlockMaxMs) {
    broken.push(
      `event loop blocked ${cost.eventLoopBlockMaxMs.toFixed(0)} ms (bound ${limits.eventLoopBlockMaxMs})`,
    );
  }
  if (cost.eventLoopMaxMs > limits.eventLoopMaxMs) {
    broken.push(
      `event loop stalled ${cost.eventLoopMaxMs.toFixed(0)} ms (bound ${limits.eventLoopMaxMs})`,
    );
  }
  if (cost.rssPeakGrowthBytes > limits.rssPeakGrowthBytes) {
    broken.push(
      `peak RSS grew ${(cost.rssPeakGrowthBytes / MIB).toFixed(0)} MiB (bound ${(limits.rssPeakGrowthBytes / MIB).toFixed(0)})`,
    );
  }
  if (cost.retainedHeapGrowthBytes > limits.retainedHeapGrowthBytes) {
    broken.push(
      `it left ${(cost.retainedHeapGrowthBytes / MIB).toFixed(0)} MiB of heap in use (bound ${(limits.retainedHeapGrowthBytes / MIB).toFixed(0)})`,
    );
  }
  const slowest = Math.max(...cost.probeMs);
  if (slowest > limits.probeMaxMs) {
    broken.push(
      `a normal query during it took ${slowest.toFixed(0)} ms (bound ${limits.probeMaxMs})`,
    );
  }
  const failedProbes = cost.probeStatuses.filter((status) => status !== 200);
  if (failedProbes.length > 0) {
    broken.push(`normal queries during it answered ${failedProbes.join(', ')} instead of 200`);
  }
  if (broken.length > 0) {
    const normal =
      baseline === undefined ? '' : `\nnormal traffic alone: ${describeCost(baseline)}`;
    throw new Error(`${what} was expensive: ${broken.join('; ')}\n${describeCost(cost)}${normal}`);
  }
}

export function describeCost(cost: Cost): string {
  const mib = (bytes: number): string => `${(bytes / MIB).toFixed(1)} MiB`;
  return (
    `wall ${cost.wallMs.toFixed(0)} ms, event loop blocked at most ${cost.eventLoopBlockMaxMs.toFixed(0)} ms ` +
    `(stalled ${cost.eventLoopMaxMs.toFixed(0)} ms), ` +
    `peak RSS +${mib(cost.rssPeakGrowthBytes)}, heap +${mib(cost.heapGrowthBytes)}, ` +
    `external +${mib(cost.externalGrowthBytes)}, retained heap +${mib(cost.retainedHeapGrowthBytes)}, ` +
    `database queries ${cost.databaseQueries}, ` +
    `probes ${cost.probeMs.map((ms) => ms.toFixed(0)).join('/')} ms ` +
    `(${cost.probeStatuses.join('/')}), alive ${cost.alive}`
  );
}

/** Prints a reading when COST_REPORT is set (for before/after numbers in reviews). */
export function reportCost(what: string, cost: Cost): void {
  if (process.env.COST_REPORT) process.stdout.write(`[cost] ${what}: ${describeCost(cost)}\n`);
}
