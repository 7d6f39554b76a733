/**
 * Closed-loop load: `concurrency` workers, each sending its next request as soon as the previous
 * one answers, so the offered load adapts to the server (no coordinated-omission queue builds up in
 * the client). The first `warmupMs` are run the same way but discarded, so measurement starts with
 * the loop already in its steady state instead of after an idle gap.
 */

export interface ClosedLoopOptions {
  concurrency: number;
  warmupMs: number;
  measureMs: number;
  /** Sends request number `sequence` (shared across workers) and resolves when it is answered. */
  send(sequence: number): Promise<void>;
  /** Called once when the measurement window opens (e.g. to snapshot CPU counters). */
  onMeasureStart?(): void;
}

export interface ClosedLoopResult {
  /** Latencies of the requests started inside the measurement window. */
  latenciesMs: number[];
  /** From the window opening until the last in-flight request answered. */
  measuredMs: number;
  /** Failed requests, warm-up included: any error makes the run suspect. */
  errors: number;
  /** The first few distinct error messages, for the report. */
  errorMessages: string[];
}

const MAX_ERROR_MESSAGES = 5;

export async function runClosedLoop(options: ClosedLoopOptions): Promise<ClosedLoopResult> {
  const latenciesMs: number[] = [];
  const errorMessages = new Set<string>();
  let errors = 0;
  let sequence = 0;
  // The window opens when the timer really fires (the event loop may run late under load), so the
  // counted requests, the measured time and the caller's counter snapshot all share one instant.
  let openedAt: number | undefined;
  let end = performance.now() + options.warmupMs + options.measureMs;
  const open = (): void => {
    openedAt = performance.now();
    end = openedAt + options.measureMs;
    options.onMeasureStart?.();
  };
  const opening = setTimeout(open, options.warmupMs);

  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const counted = openedAt !== undefined;
      const sent = performance.now();
      try {
        await options.send(sequence++);
        if (counted) latenciesMs.push(performance.now() - sent);
      } catch (error) {
        errors += 1;
        if (errorMessages.size < MAX_ERROR_MESSAGES) {
          errorMessages.add(error instanceof Error ? error.message : String(error));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  clearTimeout(opening);
  if (openedAt === undefined) open(); // nothing was measured; the caller reports zero samples
  return {
    latenciesMs,
    measuredMs: performance.now() - (openedAt ?? performance.now()),
    errors,
    errorMessages: [...errorMessages],
  };
}
