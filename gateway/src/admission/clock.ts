/** A pending timer; cancelling one that already fired does nothing. */
export interface Timer {
  cancel(): void;
}

/**
 * Time as admission sees it: `now()` in ms since the epoch (the clock `InferRequest.deadline` uses)
 * and one-shot timers. Injected so the queue's behaviour can be tested step by step with a fake.
 */
export interface Clock {
  now(): number;
  setTimer(delayMs: number, fire: () => void): Timer;
}

/** Node's timers cap a delay at 2^31 - 1 ms; a longer one would fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(delayMs, fire) {
    const handle = setTimeout(fire, Math.min(Math.max(0, delayMs), MAX_TIMER_MS));
    // A pending deadline must not keep the process alive on shutdown.
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  },
};
