/**
 * What an input costs a server running in a child process, measured from both sides: its event
 * loop and heap from inside (over IPC), its RSS from /proc, and how normal calls sent meanwhile
 * fared. Each app's hostile suite wraps this with its own probe, defaults and extra readings.
 * Bounds are orders of magnitude (a stall of seconds, hundreds of MiB, a crash), never timings of
 * healthy work: tests assert them to catch cost amplification, never to benchmark.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventLoopReading } from './event-loop-watch';
import { memory, resetPeakRss } from './process-stats';

const MIB = 1024 * 1024;

/** Read inside the server process: its event loop since the last reading, its memory now. */
export interface InsideReading extends EventLoopReading {
  memory: NodeJS.MemoryUsage;
}

/** A server in a child process that can be measured. */
export interface MeteredProcess<Inside extends InsideReading = InsideReading> {
  pid: number;
  alive(): boolean;
  /** What the process saw from inside since the last call. Starts a new window. */
  inside(): Promise<Inside>;
}

export interface ProcessCost {
  /** Wall time of the hostile action, ms. */
  wallMs: number;
  /** Longest event-loop stall while it ran (wall time: counts waiting for a core too), ms. */
  eventLoopMaxMs: number;
  /** Most main-thread CPU time between two event-loop turns while it ran, ms: blocking. */
  eventLoopBlockMaxMs: number;
  /** Peak RSS during the window minus RSS at its start. */
  rssPeakGrowthBytes: number;
  /** heapUsed / external growth from the start to the end of the window. */
  heapGrowthBytes: number;
  externalGrowthBytes: number;
  /** Latency of each normal call sent while the hostile action ran (at least one), ms. */
  probeMs: number[];
  /** Status of each probe (0: no answer): anything but 200 means normal callers were turned away. */
  probeStatuses: number[];
  alive: boolean;
}

export interface ProcessCostLimits {
  eventLoopBlockMaxMs: number;
  eventLoopMaxMs: number;
  rssPeakGrowthBytes: number;
  probeMaxMs: number;
}

export interface MeterOptions {
  /** Probes sent (and not measured) before the window: a process's first calls warm it up. */
  warmUpProbes?: number;
  /** When the probe loop starts after the action, ms (default 20). */
  probeDelayMs?: number;
}

/**
 * Runs `hostile` while `probe` (one normal call, resolving to its HTTP status) is sent again and
 * again, and returns what it all cost `target`, with both inside readings for extra measures.
 */
export async function meterProcess<Inside extends InsideReading, T>(
  target: MeteredProcess<Inside>,
  probe: () => Promise<number>,
  hostile: () => Promise<T>,
  options: MeterOptions = {},
): Promise<{ cost: ProcessCost; result: T; insideBefore: Inside; insideAfter?: Inside }> {
  const timedProbe = async (): Promise<[number, number]> => {
    const started = performance.now();
    const status = await probe().catch(() => 0);
    return [performance.now() - started, status];
  };
  for (let i = 0; i < (options.warmUpProbes ?? 1); i += 1) await timedProbe();
  await target.inside();
  resetPeakRss(target.pid);
  const before = memory(target.pid);
  const insideBefore = await target.inside();

  const started = performance.now();
  let done = false;
  const probes: [number, number][] = [];
  const probing = (async () => {
    await sleep(options.probeDelayMs ?? 20);
    do probes.push(await timedProbe());
    while (!done && target.alive());
  })();
  let result: T;
  try {
    result = await hostile();
  } finally {
    done = true;
  }
  const wallMs = performance.now() - started;
  await probing;

  const alive = target.alive();
  const after = alive ? memory(target.pid) : undefined;
  const insideAfter = alive ? await target.inside() : undefined;
  const growth = (read: (inside: Inside) => number): number =>
    insideAfter ? read(insideAfter) - read(insideBefore) : Infinity;
  return {
    result,
    insideBefore,
    insideAfter,
    cost: {
      wallMs,
      eventLoopMaxMs: insideAfter?.eventLoopMaxMs ?? Infinity,
      eventLoopBlockMaxMs: insideAfter?.eventLoopBlockMaxMs ?? Infinity,
      rssPeakGrowthBytes: after ? (after.peakRssMiB - before.rssMiB) * MIB : Infinity,
      heapGrowthBytes: growth((inside) => inside.memory.heapUsed),
      externalGrowthBytes: growth((inside) => inside.memory.external),
      probeMs: probes.map(([ms]) => ms),
      probeStatuses: probes.map(([, status]) => status),
      alive,
    },
  };
}

/**
 * Every limit `cost` broke, in words (`server`: what died, `call`: what the probes were), for a
 * failure that says what it cost.
 */
export function processCostBreaches(
  cost: ProcessCost,
  limits: ProcessCostLimits,
  words: { server: string; call: string },
): string[] {
  const broken: string[] = [];
  if (!cost.alive) broken.push(`the ${words.server} process died`);
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
      `peak RSS grew ${mib(cost.rssPeakGrowthBytes, 0)} (bound ${mib(limits.rssPeakGrowthBytes, 0)})`,
    );
  }
  const slowest = Math.max(...cost.probeMs);
  if (slowest > limits.probeMaxMs) {
    broken.push(
      `a normal ${words.call} during it took ${slowest.toFixed(0)} ms (bound ${limits.probeMaxMs})`,
    );
  }
  const failedProbes = cost.probeStatuses.filter((status) => status !== 200);
  if (failedProbes.length > 0) {
    broken.push(
      `normal ${words.call}s during it answered ${failedProbes.join(', ')} instead of 200`,
    );
  }
  return broken;
}

export function describeProcessCost(cost: ProcessCost): string {
  return (
    `wall ${cost.wallMs.toFixed(0)} ms, event loop blocked at most ${cost.eventLoopBlockMaxMs.toFixed(0)} ms ` +
    `(stalled ${cost.eventLoopMaxMs.toFixed(0)} ms), ` +
    `peak RSS +${mib(cost.rssPeakGrowthBytes)}, heap +${mib(cost.heapGrowthBytes)}, ` +
    `external +${mib(cost.externalGrowthBytes)}, probes ${cost.probeMs.map((ms) => ms.toFixed(0)).join('/')} ms ` +
    `(${cost.probeStatuses.join('/')}), alive ${cost.alive}`
  );
}

function mib(bytes: number, digits = 1): string {
  return `${(bytes / MIB).toFixed(digits)} MiB`;
}
