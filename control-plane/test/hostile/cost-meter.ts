/**
 * What a hostile input costs the control plane, measured on a real control plane in a child process
 * (the counterpart of gateway/test/hostile/cost-meter.ts; the measurement is libs/test-support's
 * process-cost.ts):
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
import { TEST_ADMIN_KEY } from '../support/test-credentials';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  describeProcessCost,
  meterProcess,
  processCostBreaches,
  type ProcessCost,
} from '@test-support';
import { type MeteredControlPlane } from './metered-control-plane';

const MIB = 1024 * 1024;

export interface Cost extends ProcessCost {
  /** Heap still in use after a full garbage collection, end minus start: what the input left behind. */
  retainedHeapGrowthBytes: number;
  /** Database queries made during the window, the probes' included. */
  databaseQueries: number;
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

/** The normal call probes make: every registered model, read from the database. */
export const PROBE_QUERY = '{ models { nodes { name } } }';

async function query(controlPlane: MeteredControlPlane): Promise<number> {
  const response = await fetch(`${controlPlane.baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': TEST_ADMIN_KEY },
    body: JSON.stringify({ query: PROBE_QUERY }),
    signal: AbortSignal.timeout(30_000),
  });
  await response.arrayBuffer();
  return response.status;
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
  const { cost, result, insideBefore, insideAfter } = await meterProcess(
    controlPlane,
    () => query(controlPlane),
    hostile,
    { ...options, warmUpProbes: 5 },
  );
  return {
    result,
    cost: {
      ...cost,
      retainedHeapGrowthBytes: insideAfter
        ? insideAfter.retainedHeapBytes - insideBefore.retainedHeapBytes
        : Infinity,
      databaseQueries: insideAfter
        ? insideAfter.databaseQueries - insideBefore.databaseQueries
        : Infinity,
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
  const { cost } = await measureCost(controlPlane, () => sleep(durationMs));
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
  const broken = processCostBreaches(cost, limits, { server: 'control plane', call: 'query' });
  if (cost.retainedHeapGrowthBytes > limits.retainedHeapGrowthBytes) {
    broken.push(
      `it left ${(cost.retainedHeapGrowthBytes / MIB).toFixed(0)} MiB of heap in use (bound ${(limits.retainedHeapGrowthBytes / MIB).toFixed(0)})`,
    );
  }
  if (broken.length > 0) {
    const normal =
      baseline === undefined ? '' : `\nnormal traffic alone: ${describeCost(baseline)}`;
    throw new Error(`${what} was expensive: ${broken.join('; ')}\n${describeCost(cost)}${normal}`);
  }
}

export function describeCost(cost: Cost): string {
  const retained = (cost.retainedHeapGrowthBytes / MIB).toFixed(1);
  return (
    `${describeProcessCost(cost)}, retained heap +${retained} MiB, ` +
    `database queries ${cost.databaseQueries}`
  );
}

/** Prints a reading when COST_REPORT is set (for before/after numbers in reviews). */
export function reportCost(what: string, cost: Cost): void {
  if (process.env.COST_REPORT) process.stdout.write(`[cost] ${what}: ${describeCost(cost)}\n`);
}
