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
 * The measurement itself is libs/test-support's (process-cost.ts), shared with the control plane.
 */
import {
  describeProcessCost,
  meterProcess,
  processCostBreaches,
  type ProcessCost,
} from '@test-support';
import { startGatewayProcess, type GatewayProcess } from '../gateway-process';
import { authHeaders, sampleImage } from '../test-gateway';

const MIB = 1024 * 1024;

export type Cost = ProcessCost;

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

/** One normal detect call: what must stay fast while a hostile input is being served. */
async function detect(gateway: MeteredGateway, image: Buffer): Promise<number> {
  const response = await fetch(`${gateway.httpUrl}/v1/models/nanodet/detect`, {
    method: 'POST',
    headers: { ...authHeaders(), 'content-type': 'image/jpeg' },
    body: image,
    signal: AbortSignal.timeout(30_000),
  });
  await response.arrayBuffer();
  return response.status;
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
  const image = sampleImage('messi5.jpg');
  return meterProcess(gateway, () => detect(gateway, image), hostile, options);
}

/** Fails with every bound the cost broke, and the whole reading, so a failure says what it cost. */
export function expectCheap(cost: Cost, bounds: CostBounds = {}, what = 'the hostile input'): void {
  const broken = processCostBreaches(
    cost,
    {
      eventLoopBlockMaxMs: bounds.eventLoopBlockMaxMs ?? 100,
      eventLoopMaxMs: bounds.eventLoopMaxMs ?? 1000,
      rssPeakGrowthBytes: bounds.rssPeakGrowthBytes ?? 256 * MIB,
      probeMaxMs: bounds.probeMaxMs ?? 2000,
    },
    { server: 'gateway', call: 'detect' },
  );
  if (broken.length > 0) {
    throw new Error(`${what} was expensive: ${broken.join('; ')}\n${describeCost(cost)}`);
  }
}

export const describeCost = describeProcessCost;
