/** Waiting in tests: state is polled from the gateway (or a server), never inferred from timings. */
import { setTimeout as sleep } from 'node:timers/promises';

/** Polls until `condition` holds; fails naming what never happened (a bound, not a timing claim). */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  withinMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${withinMs} ms`);
    await sleep(10);
  }
}
