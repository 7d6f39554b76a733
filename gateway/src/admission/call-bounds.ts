import { MAX_TIMER_MS } from './clock';

/**
 * What a front door learns from the wire about how long its caller waits: the caller's own deadline
 * (absent: the admit stage applies the model's default) and a signal aborted when the caller goes
 * away. Both go into `InferRequest.deadline` / `InferRequest.signal`.
 */
export interface CallBounds {
  /** Epoch ms (`Date.now()` clock). */
  deadline?: number;
  signal: AbortSignal;
}

/** A timeout (ms from now) as a deadline no timer will mistake for "now" (see MAX_TIMER_MS). */
export function deadlineIn(timeoutMs: number, now = Date.now()): number {
  return now + Math.min(timeoutMs, MAX_TIMER_MS);
}
