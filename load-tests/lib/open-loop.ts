import { setTimeout as sleep } from 'node:timers/promises';
import { seededRandom } from '@test-support';

/**
 * Open-loop load: requests leave on a seeded Poisson schedule at `ratePerSecond` whatever the server
 * does, as independent clients would send them. This is what overload looks like (a closed loop
 * slows down with the server and never overloads it).
 */
export interface OpenLoopOptions<Outcome> {
  ratePerSecond: number;
  durationMs: number;
  seed: number;
  /** Sends request `sequence`; resolves with its outcome, never rejects. */
  send(sequence: number): Promise<Outcome>;
}

export interface OpenLoopSample<Outcome> {
  sequence: number;
  /** Milliseconds after the run started. */
  sentAtMs: number;
  latencyMs: number;
  outcome: Outcome;
}

export async function runOpenLoop<Outcome>(
  options: OpenLoopOptions<Outcome>,
): Promise<OpenLoopSample<Outcome>[]> {
  const random = seededRandom(options.seed);
  const started = performance.now();
  const pending: Promise<void>[] = [];
  const samples: OpenLoopSample<Outcome>[] = [];
  let nextAt = 0;
  let sequence = 0;
  while (nextAt < options.durationMs) {
    const now = performance.now() - started;
    // Send everything due (the event loop may wake late under load), then sleep until the next one.
    while (nextAt <= now && nextAt < options.durationMs) {
      const current = sequence++;
      const sentAtMs = performance.now() - started;
      pending.push(
        options.send(current).then((outcome) => {
          samples.push({
            sequence: current,
            sentAtMs,
            latencyMs: performance.now() - started - sentAtMs,
            outcome,
          });
        }),
      );
      nextAt += (-Math.log(1 - random()) * 1000) / options.ratePerSecond;
    }
    await sleep(Math.max(1, nextAt - now));
  }
  await Promise.all(pending);
  return samples.sort((a, b) => a.sequence - b.sequence);
}
