import fc, { type Parameters } from 'fast-check';
import { numberFrom } from '@test-support';

const scale = numberFrom(process.env, 'FUZZ_RUNS_SCALE', 1, { above: 0 });

/** Jest's limit for one property, longer when FUZZ_RUNS_SCALE asks for more runs. */
export const FUZZ_TEST_TIMEOUT_MS = 60_000 * Math.max(1, scale);

/**
 * Run settings shared by every malformed-input property. A failing run prints its seed (fast-check
 * does); `FUZZ_SEED=<seed>` replays it, `FUZZ_RUNS_SCALE=10` explores ten times as many inputs.
 */
export function fuzzParameters<T>(numRuns: number): Parameters<T> {
  const seed = integerFromEnv('FUZZ_SEED');
  return {
    ...(seed === undefined ? {} : { seed }),
    numRuns: Math.max(1, Math.round(numRuns * scale)),
    // Stop before Jest's timeout: on a slow machine fewer inputs are tried rather than the test
    // failing, and a counterexample found (even while still shrinking) is still reported.
    interruptAfterTimeLimit: FUZZ_TEST_TIMEOUT_MS - 15_000,
    markInterruptAsFailure: false,
  };
}

function integerFromEnv(name: string): number | undefined {
  const value = numberFrom(process.env, name, undefined, -Infinity);
  if (value !== undefined && !Number.isInteger(value)) {
    throw new Error(`${name} must be an integer (got ${JSON.stringify(process.env[name])})`);
  }
  return value;
}

/**
 * Gives a generated value a short printout for fast-check's counterexample report (a 2 MB tensor
 * printed byte by byte helps nobody).
 */
export function printable<T extends object>(value: T, text: string): T {
  Object.defineProperty(value, fc.toStringMethod, { value: () => text, enumerable: false });
  return value;
}

/** Size and the first bytes (latin1, escaped) of a binary value. */
export function describeBytes(bytes: Uint8Array, limit = 120): string {
  const head = JSON.stringify(Buffer.from(bytes.subarray(0, limit)).toString('latin1'));
  return `${bytes.byteLength} bytes ${head}${bytes.byteLength > limit ? '…' : ''}`;
}
