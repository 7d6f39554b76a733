import fc, { type IAsyncProperty, type Parameters } from 'fast-check';
import {
  baselineStallMs,
  describeCost,
  expectCheap,
  measureCost,
  overBaseline,
  type CostBounds,
  type MeteredGateway,
} from '../hostile/cost-meter';

/** ms of normal detects only, measured once per gateway: the event-loop baseline of the run. */
const BASELINE_MS = 2000;
const baselines = new WeakMap<MeteredGateway, Promise<number>>();

/**
 * The malformed-input contract is "never a 5xx" *and* "never expensive": runs the property against
 * a metered gateway (a child process) while the cost meter sends normal detects, then requires
 * that the whole run never stalled the gateway's event loop past the bound (100 ms, or 3× this
 * gateway's own baseline on a loaded machine), kept its memory bounded, and kept answering normal
 * detects promptly. Each answer's own time is bounded by the specs (`send`, `answerWithin`).
 */
export async function assertCheaply<T extends [unknown, ...unknown[]]>(
  gateway: MeteredGateway,
  property: IAsyncProperty<T>,
  parameters: Parameters<T>,
  bounds: CostBounds = {},
): Promise<void> {
  if (!baselines.has(gateway)) baselines.set(gateway, baselineStallMs(gateway, BASELINE_MS));
  const baseline = await (baselines.get(gateway) as Promise<number>);
  const { cost } = await measureCost(gateway, () => fc.assert(property, parameters));
  console.log(`${expect.getState().currentTestName}: ${describeCost(cost)}`);
  expectCheap(cost, overBaseline(baseline, bounds), 'the property run');
}

/**
 * How long one malformed request may take to be answered: malformed input is refused before it is
 * paid for, so this is seconds below what the broken paths took (4-130 s), with room for two
 * shared cores.
 */
export const ANSWER_BOUND_MS = 5000;

/** `promise`, failing when it takes longer than ANSWER_BOUND_MS (what took that long is named). */
export async function answerWithin<T>(what: string, promise: Promise<T>): Promise<T> {
  const started = performance.now();
  const value = await promise;
  const took = performance.now() - started;
  if (took > ANSWER_BOUND_MS) {
    throw new Error(`${what} was answered after ${took.toFixed(0)} ms (bound ${ANSWER_BOUND_MS})`);
  }
  return value;
}
