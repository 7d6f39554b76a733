import { round } from '../lib/latency-stats';
import { EMBEDDED_CONFIGURATIONS } from './configurations';
import { P99_OBJECTIVE_MS } from './settings';
import type { Cell, TargetCheck } from './types';

/** Issue 5's design targets on the embedded backend (benchmark targets, never asserted). */
export const SPEEDUP_TARGET = 1.5;
export const SPEEDUP_P99_LIMIT_MS = 100;
/** Adaptive: p99 within 10% of the objective, throughput ≥ 90% of the best fixed setting's. */
export const ADAPTIVE_P99_SLACK = 0.1;
export const ADAPTIVE_THROUGHPUT_SHARE = 0.9;

const FIXED = EMBEDDED_CONFIGURATIONS.filter((c) => c.gatewayBatching === 'fixed').map(
  (c) => c.name,
);
const BATCHED = EMBEDDED_CONFIGURATIONS.filter((c) => c.gatewayBatching !== 'off').map(
  (c) => c.name,
);

/**
 * The targets at every measured concurrency (the speed-up target is stated for c = 16; the other
 * concurrencies are context). A cell with errors makes its check undecided (met: undefined).
 */
export function checkTargets(cells: readonly Cell[]): TargetCheck[] {
  const embedded = cells.filter((cell) => cell.tier === 'embedded');
  const concurrencies = [...new Set(embedded.map((cell) => cell.concurrency))].sort(
    (a, b) => a - b,
  );
  const checks: TargetCheck[] = [];
  for (const concurrency of concurrencies) {
    const at = (name: string): Cell | undefined =>
      embedded.find((cell) => cell.configuration === name && cell.concurrency === concurrency);
    const off = at('off');
    const batched = BATCHED.map(at).filter((cell): cell is Cell => cell !== undefined);
    const fixed = FIXED.map(at).filter((cell): cell is Cell => cell !== undefined);
    const adaptive = at('adaptive');

    if (off && batched.length > 0) {
      // The fastest batched setting that keeps p99 under the limit; else the fastest of all.
      const within = batched.filter((cell) => cell.p99Ms < SPEEDUP_P99_LIMIT_MS);
      const best = fastest(within.length > 0 ? within : batched);
      const speedup = best.requestsPerSecond / off.requestsPerSecond;
      checks.push({
        concurrency,
        target: `batching ≥ ${SPEEDUP_TARGET}× unbatched throughput with p99 < ${SPEEDUP_P99_LIMIT_MS} ms`,
        measured: `${best.configuration}: ${round(speedup, 2)}× (${best.requestsPerSecond} vs ${off.requestsPerSecond} req/s), p99 ${best.p99Ms} ms`,
        met: decided([best, off], speedup >= SPEEDUP_TARGET && best.p99Ms < SPEEDUP_P99_LIMIT_MS),
      });
    }
    if (adaptive) {
      const limit = P99_OBJECTIVE_MS * (1 + ADAPTIVE_P99_SLACK);
      checks.push({
        concurrency,
        target: `adaptive p99 ≤ ${round(limit, 1)} ms (objective ${P99_OBJECTIVE_MS} ms + 10%)`,
        measured:
          `client p99 ${adaptive.p99Ms} ms` +
          (adaptive.adaptive?.observedP99Ms === undefined
            ? ''
            : `; the gateway's own (queue + backend) ${adaptive.adaptive.observedP99Ms} ms`),
        met: decided([adaptive], adaptive.p99Ms <= limit),
      });
    }
    if (adaptive && fixed.length > 0) {
      const best = fastest(fixed);
      const share = adaptive.requestsPerSecond / best.requestsPerSecond;
      checks.push({
        concurrency,
        target: `adaptive ≥ ${ADAPTIVE_THROUGHPUT_SHARE * 100}% of the best fixed setting's throughput`,
        measured: `${round(share * 100, 1)}% (${adaptive.requestsPerSecond} vs ${best.configuration} ${best.requestsPerSecond} req/s)`,
        met: decided([adaptive, best], share >= ADAPTIVE_THROUGHPUT_SHARE),
      });
    }
  }
  return checks;
}

function fastest(cells: readonly Cell[]): Cell {
  return cells.reduce((best, cell) =>
    cell.requestsPerSecond > best.requestsPerSecond ? cell : best,
  );
}

/** Cells with failed requests decide nothing. */
function decided(cells: readonly Cell[], met: boolean): boolean | undefined {
  return cells.some((cell) => cell.errors > 0) ? undefined : met;
}
