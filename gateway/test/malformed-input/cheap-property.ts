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
 * A run over its bounds is measured once more with the same inputs (the same fast-check seed)
 * and must be cheap then: an input that is expensive is expensive twice, while a stall of a busy
 * two-core machine running other suites (seen: 120-170 ms once in a full CI run, under 40 ms
 * alone) is not.
 */
export async function assertCheaply<T extends [unknown, ...unknown[]]>(
  gateway: MeteredGateway,
  property: IAsyncProperty<T>,
  parameters: Parameters<T>,
  bounds: CostBounds = {},
): Promise<void> {
  // One seed for both runs, so a second measurement replays the same inputs.
  const seeded = { ...parameters, seed: parameters.seed ?? Math.floor(Math.random() * 2 ** 31) };
  const failures: string[] = [];
  for (let attempt = 1; attempt <= 2; attempt += 1) {
    const { cost } = await measureCost(gateway, () => fc.assert(property, seeded));
    const again = attempt === 1 ? '' : ' (again)';
    console.log(`${expect.getState().currentTestName}${again}: ${describeCost(cost)}`);
    try {
      expectCheap(cost, bounds, `the property run${again}`);
      return;
    } catch (error) {
      failures.push(error instanceof Error ? error.message : String(error));
    }
  }
  throw new Error(failures.join('\n--- measured again:\n'));
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
