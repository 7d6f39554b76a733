import fc, { type IAsyncProperty, type Parameters } from 'fast-check';
import {
  describeCost,
  expectCheap,
  measureCost,
  type CostBounds,
  type MeteredGateway,
} from '../hostile/cost-meter';

/**
 * The malformed-input contract is "never a 5xx" *and* "never expensive": runs the property against
 * a metered gateway (a child process) while the cost meter sends normal detects, then requires
 * that the whole run never blocked the gateway's event loop past 100 ms, kept its memory bounded,
 * and kept answering normal detects promptly. Each answer's own time is bounded by the specs (`send`, `answerWithin`).
 */
export async function assertCheaply<T extends [unknown, ...unknown[]]>(
  gateway: MeteredGateway,
  property: IAsyncProperty<T>,
  parameters: Parameters<T>,
  bounds: CostBounds = {},
): Promise<void> {
  const { cost } = await measureCost(gateway, () => fc.assert(property, parameters));
  console.log(`${expect.getState().currentTestName}: ${describeCost(cost)}`);
  expectCheap(cost, bounds, 'the property run');
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
