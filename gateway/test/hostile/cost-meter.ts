/**
 * What a hostile input costs the gateway, measured on a real gateway in a child process (its RSS,
 * event loop and crashes are its own, not the test runner's):
 * - the longest time the event loop was blocked while the input was being served: the main
 *   thread's CPU time between two turns of the loop (the bound: 100 ms on any input), and
 *   the longest wall-clock stall, which on two cores shared with the test's own clients also counts
 *   time the gateway waited for a core,
 * - peak RSS growth over the window (/proc VmHWM, reset at the start) and heap/external growth,
 * - how long normal detect calls sent *during* the hostile input took (a probe loop),
 * - whether the process is still alive afterwards.
 * Bounds are orders of magnitude (a stall of seconds, gigabytes of RSS, a crash), not timings of
 * healthy work: tests assert them to catch cost amplification, never to benchmark.
 */
import { memory, resetPeakRss } from '../../../load-tests/lib/process-stats';
import { startGatewayProcess, type GatewayProcess } from '../gateway-process';
import { authHeaders, sampleImage } from '../test-gateway';

const MIB = 1024 * 1024;

export interface Cost {
  /** Wall time of the hostile action, ms. */
  wallMs: number;
  /** Longest event-loop stall in the gateway while it ran (wall time), ms. */
  eventLoopMaxMs: number;
  /** Most main-thread CPU time between two event-loop turns while it ran, ms: blocking. */
  eventLoopBlockMaxMs: number;
  /** Peak RSS during the window minus RSS at its start. */
  rssPeakGrowthBytes: number;
  /** heapUsed / external growth from the start to the end of the window (after the action). */
  heapGrowthBytes: number;
  externalGrowthBytes: number;
  /** Latency of each normal detect sent while the hostile action ran (at least one), ms. */
  probeMs: number[];
  /** Status of each probe: anything but 200 means the gateway stopped serving normal traffic. */
  probeStatuses: number[];
  alive: boolean;
}

export interface CostBounds {
  /** Default 100 ms: the bound on blocking the event loop, on any input. */
  eventLoopBlockMaxMs?: number;
  /**
   * Default 1,000 ms: the wall-clock stall, blocking plus waiting for a core (the test's clients
   * share the two cores): an order of magnitude below the broken paths' seconds.
   */
  eventLoopMaxMs?: number;
  /** Default 256 MiB. */
  rssPeakGrowthBytes?: number;
  /** Default 2,000 ms: a normal detect during the hostile input is answered about as usual. */
  probeMaxMs?: number;
}

/** A real gateway in a child process, with the readings a cost measurement needs. */
export type MeteredGateway = GatewayProcess;

/** Starts a gateway process to measure; `env` overrides settings (limits, ...). */
export function startMeteredGateway(env: Record<string, string> = {}): Promise<MeteredGateway> {
  return startGatewayProcess(env);
}

const PROBE_IMAGE = (): Buffer => sampleImage('messi5.jpg');

/** One normal detect call: what must stay fast while a hostile input is being served. */
async function probe(gateway: MeteredGateway, image: Buffer): Promise<[number, number]> {
  const started = performance.now();
  try {
    const response = await fetch(`${gateway.httpUrl}/v1/models/nanodet/detect`, {
      method: 'POST',
      headers: { ...authHeaders(), 'content-type': 'image/jpeg' },
      body: image,
      signal: AbortSignal.timeout(30_000),
    });
    await response.arrayBuffer();
    return [performance.now() - started, response.status];
  } catch {
    return [performance.now() - started, 0];
  }
}

/**
 * Runs `hostile` against `gateway` while a probe loop sends normal detect calls one after another
 * (from `probeDelayMs` after the start until the action is done; at least one), and returns what
 * it all cost the gateway. The action's own result is the caller's to check (status, message).
 */
export async function measureCost<T>(
  gateway: MeteredGateway,
  hostile: () => Promise<T>,
  options: { probeDelayMs?: number } = {},
): Promise<{ cost: Cost; result: T }> {
  const image = PROBE_IMAGE();
  // Warm: the first detect of a process pays for lazy initialisation, which is not the input's cost.
  await probe(gateway, image);
  await gateway.inside();
  resetPeakRss(gateway.pid);
  const before = memory(gateway.pid);
  const insideBefore = await gateway.inside();

  const started = performance.now();
  let done = false;
  const probes: [number, number][] = [];
  const probing = (async () => {
    await new Promise((resolve) => setTimeout(resolve, options.probeDelayMs ?? 20));
    do probes.push(await probe(gateway, image));
    while (!done && gateway.alive());
  })();
  let result: T;
  try {
    result = await hostile();
  } finally {
    done = true;
  }
  const wallMs = performance.now() - started;
  await probing;

  const alive = gateway.alive();
  const after = alive ? memory(gateway.pid) : undefined;
  const insideAfter = alive ? await gateway.inside() : undefined;
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
      probeMs: probes.map(([ms]) => ms),
      probeStatuses: probes.map(([, status]) => status),
      alive,
    },
  };
}

/** Fails with every bound the cost broke, and the whole reading, so a failure says what it cost. */
export function expectCheap(cost: Cost, bounds: CostBounds = {}, what = 'the hostile input'): void {
  const limits = {
    eventLoopBlockMaxMs: bounds.eventLoopBlockMaxMs ?? 100,
    eventLoopMaxMs: bounds.eventLoopMaxMs ?? 1000,
    rssPeakGrowthBytes: bounds.rssPeakGrowthBytes ?? 256 * MIB,
    probeMaxMs: bounds.probeMaxMs ?? 2000,
  };
  const broken: string[] = [];
  if (!cost.alive) broken.push('the gateway process died');
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
  const slowest = Math.max(...cost.probeMs);
  if (slowest > limits.probeMaxMs) {
    broken.push(
      `a normal detect during it took ${slowest.toFixed(0)} ms (bound ${limits.probeMaxMs})`,
    );
  }
  const failedProbes = cost.probeStatuses.filter((status) => status !== 200);
  if (failedProbes.length > 0) {
    broken.push(`normal detects during it answered ${failedProbes.join(', ')} instead of 200`);
  }
  if (broken.length > 0) {
    throw new Error(`${what} was expensive: ${broken.join('; ')}\n${describeCost(cost)}`);
  }
}

export function describeCost(cost: Cost): string {
  const mib = (bytes: number): string => `${(bytes / MIB).toFixed(1)} MiB`;
  return (
    `wall ${cost.wallMs.toFixed(0)} ms, event loop blocked at most ${cost.eventLoopBlockMaxMs.toFixed(0)} ms ` +
    `(stalled ${cost.eventLoopMaxMs.toFixed(0)} ms), ` +
    `peak RSS +${mib(cost.rssPeakGrowthBytes)}, heap +${mib(cost.heapGrowthBytes)}, ` +
    `external +${mib(cost.externalGrowthBytes)}, probes ${cost.probeMs.map((ms) => ms.toFixed(0)).join('/')} ms ` +
    `(${cost.probeStatuses.join('/')}), alive ${cost.alive}`
  );
}
