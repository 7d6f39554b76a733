import fc, { type Parameters } from 'fast-check';

/**
 * Run settings shared by every malformed-input property. A failing run prints its seed (fast-check
 * does); `FUZZ_SEED=<seed>` replays it, `FUZZ_RUNS_SCALE=10` explores ten times as many inputs.
 */
export function fuzzParameters<T>(numRuns: number): Parameters<T> {
  const seed = integerFromEnv('FUZZ_SEED');
  const scale = numberFromEnv('FUZZ_RUNS_SCALE') ?? 1;
  return {
    ...(seed === undefined ? {} : { seed }),
    numRuns: Math.max(1, Math.round(numRuns * scale)),
    // Shrinking replays requests against a live server: bound it so a failure reports in seconds.
    endOnFailure: false,
    interruptAfterTimeLimit: 120_000,
    markInterruptAsFailure: true,
  };
}

function integerFromEnv(name: string): number | undefined {
  const value = numberFromEnv(name);
  if (value !== undefined && !Number.isInteger(value)) {
    throw new Error(`${name} must be an integer (got ${JSON.stringify(process.env[name])})`);
  }
  return value;
}

function numberFromEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || (name === 'FUZZ_RUNS_SCALE' && value <= 0)) {
    throw new Error(`${name} is not a usable number (got ${JSON.stringify(raw)})`);
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
