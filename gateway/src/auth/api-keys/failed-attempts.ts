import { RateLimiterMemory } from 'rate-limiter-flexible';
import { GatewayError } from '../../errors/gateway-error';

/** Wrong secrets one key id may be tried with per window before it is refused without a check. */
export const FAILED_ATTEMPTS_PER_WINDOW = 10;
export const FAILED_ATTEMPTS_WINDOW_S = 60;

/**
 * Wrong secrets per key id. Key ids are not secret (they appear in lists and logs), and each
 * wrong guess costs a slow scrypt, so without a bound anyone could burn the gateway's CPU with
 * guesses for a known id. Past the bound, that id is refused at once (429 with Retry-After) until
 * the window passes. A key already verified stays in the verification cache, so its owner keeps
 * being served meanwhile; only fresh verifications of that id wait.
 */
export class FailedAttempts {
  private readonly failures = new RateLimiterMemory({
    points: FAILED_ATTEMPTS_PER_WINDOW,
    duration: FAILED_ATTEMPTS_WINDOW_S,
  });

  /** Refuses when `id` has used up its wrong guesses for this window. */
  async check(id: string): Promise<void> {
    const state = await this.failures.get(id);
    if (state && state.consumedPoints >= FAILED_ATTEMPTS_PER_WINDOW) {
      throw new GatewayError(
        'resource_exhausted',
        `too many failed attempts with API key '${id}'; try again later`,
        { retryAfterMs: state.msBeforeNext },
      );
    }
  }

  async record(id: string): Promise<void> {
    await this.failures.penalty(id, 1);
  }
}
