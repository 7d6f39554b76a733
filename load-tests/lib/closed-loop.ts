/**
 * Closed-loop load: `concurrency` workers, each sending its next request as soon as the previous
 * one answers, so the offered load adapts to the server (no queue builds up inside the client).
 * The first `warmupMs` run the same way but are discarded, so measurement starts with the loop
 * already in its steady state instead of after an idle gap.
 */

export interface ClosedLoopOptions {
  concurrency: number;
  warmupMs: number;
  measureMs: number;
  /** Sends request number `sequence` (shared across workers) and resolves when it is answered. */
  send(sequence: number): Promise<void>;
  /** Called when the measurement window opens and closes (e.g. to read CPU counters). */
  onWindowOpen?(): void;
  onWindowClose?(): void;
}

export interface ClosedLoopResult {
  /**
   * Latencies of every request sent inside the window, including those answered after it closed:
   * dropping the slow stragglers would flatter the tail.
   */
  latenciesMs: number[];
  /** The sequence number of each latency sample, index for index (to break results down). */
  sequences: number[];
  /** Requests answered inside the window: with `windowMs`, an unbiased steady-state throughput. */
  completedInWindow: number;
  windowMs: number;
  /** Failed requests, warm-up included: any error makes the run suspect. */
  errors: number;
  /** The first few distinct error messages, for the report. */
  errorMessages: string[];
}

const MAX_ERROR_MESSAGES = 5;

export async function runClosedLoop(options: ClosedLoopOptions): Promise<ClosedLoopResult> {
  const latenciesMs: number[] = [];
  const sequences: number[] = [];
  const errorMessages = new Set<string>();
  let errors = 0;
  let sequence = 0;
  let completedInWindow = 0;
  // Window edges are the instants the timers really fire (the event loop may run late under load),
  // so counted requests, the window length and the caller's counter readings all agree.
  let openedAt: number | undefined;
  let closedAt: number | undefined;
  let closing: NodeJS.Timeout | undefined;
  const close = (): void => {
    closedAt = performance.now();
    options.onWindowClose?.();
  };
  const open = (): void => {
    openedAt = performance.now();
    options.onWindowOpen?.();
    closing = setTimeout(close, options.measureMs);
  };
  const opening = setTimeout(open, options.warmupMs);
  // Backstop in case the timers never get to run (see the yield below): stop well after the window.
  const deadline = performance.now() + 2 * (options.warmupMs + options.measureMs) + 1000;

  const worker = async (): Promise<void> => {
    while (closedAt === undefined && performance.now() < deadline) {
      const counted = openedAt !== undefined;
      const current = sequence++;
      const sent = performance.now();
      try {
        await options.send(current);
        const answered = performance.now();
        if (counted) {
          latenciesMs.push(answered - sent);
          sequences.push(current);
        }
        if (openedAt !== undefined && closedAt === undefined) completedInWindow += 1;
      } catch (error) {
        errors += 1;
        if (errorMessages.size < MAX_ERROR_MESSAGES) {
          errorMessages.add(error instanceof Error ? error.message : String(error));
        }
        // A request that fails without I/O would otherwise spin on microtasks and starve the timers.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  clearTimeout(opening);
  clearTimeout(closing);
  return {
    latenciesMs,
    sequences,
    completedInWindow,
    windowMs: (closedAt ?? performance.now()) - (openedAt ?? performance.now()),
    errors,
    errorMessages: [...errorMessages],
  };
}
