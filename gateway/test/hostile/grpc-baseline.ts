/**
 * The gRPC hostile specs compare with a baseline measured in the same run: the same gateway serving
 * only the cost meter's normal detects for as long. On a loaded machine (tests of other suites, two
 * shared cores) the event loop of an idle gateway can stall past the 100 ms on its own; the
 * bound then stays a multiple of what the gateway did without the hostile input, never looser.
 */
import type { CostBounds, MeteredGateway } from './cost-meter';
import { measureCost } from './cost-meter';
import { sleep } from '../wait-until';

/** Event-loop stalls allowed over the baseline: an order of magnitude below what was broken. */
const STALL_FACTOR = 3;

/** The longest event-loop stall of `gateway` in `ms` of normal traffic only. */
export async function baselineStallMs(gateway: MeteredGateway, ms: number): Promise<number> {
  const { cost } = await measureCost(gateway, () => sleep(ms));
  return cost.eventLoopMaxMs;
}

/** `bounds`, with the event-loop bound 100 ms or STALL_FACTOR × the baseline, whichever is more. */
export function overBaseline(baselineStall: number, bounds: CostBounds = {}): CostBounds {
  return { ...bounds, eventLoopMaxMs: Math.max(100, STALL_FACTOR * baselineStall) };
}
