import type {
  AnalysisDecisionInput,
  AnalysisMeasurement,
  RunningAnalysis,
} from '../deployments/canary-analysis-contract';
import { CHECK, qualityOn, requiredChecks } from './canary-checks';

/** Checks whose threshold is a floor (the value must reach it); the others are ceilings. */
const AT_LEAST: ReadonlySet<string> = new Set([CHECK.agreementF1]);
const QUALITY: ReadonlySet<string> = new Set([
  CHECK.agreementF1,
  CHECK.scorePsi,
  CHECK.scoreKs,
  CHECK.detectionsPerImage,
]);

/**
 * One judgement, Flagger-style: a failed check counts a failure (rollback at failureLimit, else
 * pause); too little data pauses without counting; all passing steps the weight up, and at
 * maxWeightPercent counts a pass (promote after `iterations` of them).
 *
 * The deployments module counts from what is recorded: a failure is a decision with a measurement
 * whose `passed` is false; a pass at max weight is a 'step' taken at maxWeightPercent.
 */
export function decide(
  analysis: RunningAnalysis,
  measurements: AnalysisMeasurement[],
): AnalysisDecisionInput {
  const { spec, canaryWeightPercent: weight } = analysis;
  const failed = measurements.filter((m) => m.passed === false);
  if (failed.length > 0) {
    const failures = analysis.failures + 1;
    const why = failed.map(describeFailure).join('; ');
    if (failures >= spec.failureLimit) {
      return {
        action: 'rollback',
        reason: `${why} (failure ${failures} of ${spec.failureLimit}: rolled back)`,
        canaryWeightPercent: 0,
        measurements,
      };
    }
    return {
      action: 'pause',
      reason: `${why} (failure ${failures} of ${spec.failureLimit})`,
      canaryWeightPercent: weight,
      measurements,
    };
  }

  const missing = missingData(analysis, measurements);
  if (missing.length > 0) {
    return {
      action: 'pause',
      reason: `not enough data: ${missing.join(', ')}`,
      canaryWeightPercent: weight,
      measurements,
    };
  }

  if (weight < spec.maxWeightPercent) {
    const next = Math.min(weight + spec.stepWeightPercent, spec.maxWeightPercent);
    return {
      action: 'step',
      reason: `all checks passed: canary weight ${formatPercent(weight)} → ${formatPercent(next)}`,
      canaryWeightPercent: next,
      measurements,
    };
  }
  const passes = analysis.passesAtMaxWeight + 1;
  if (passes >= spec.iterations) {
    return {
      action: 'promote',
      reason: `all checks passed ${passes} of ${spec.iterations} times at ${formatPercent(weight)}: promoted`,
      canaryWeightPercent: 100,
      measurements,
    };
  }
  return {
    action: 'step',
    reason: `all checks passed at ${formatPercent(weight)} (${passes} of ${spec.iterations} before promotion)`,
    canaryWeightPercent: weight,
    measurements,
  };
}

function missingData(analysis: RunningAnalysis, measurements: AnalysisMeasurement[]): string[] {
  const { spec } = analysis;
  const missing: string[] = [];
  for (const check of requiredChecks(spec)) {
    const m = measurements.find((candidate) => candidate.check === check);
    if (m === undefined) missing.push(`${check} (not measured)`);
    else if (m.passed === null) {
      missing.push(
        QUALITY.has(check)
          ? `${check} (${m.samples} comparisons, need ${Math.max(spec.minComparisons, 1)})`
          : `${check} (${m.samples} calls, need ${spec.minCalls})`,
      );
    }
  }
  // Quality on but nothing compared: the canary must not advance on SLOs alone.
  if (qualityOn(spec) && missing.length === 0) {
    const compared = measurements.find((m) => m.check === CHECK.agreementF1)?.samples ?? 0;
    if (compared === 0) missing.push('no comparisons (is the canary shadowing stable?)');
  }
  return missing;
}

function describeFailure(m: AnalysisMeasurement): string {
  const op = AT_LEAST.has(m.check) ? '<' : '>';
  const value = m.value === null ? 'unbounded' : formatNumber(m.value);
  const threshold = m.threshold === null ? '?' : formatNumber(m.threshold);
  return `${m.check} ${value} ${op} ${threshold}`;
}

/** Two decimals, or two significant digits for small values (an error-rate rise of 0.004). */
export function formatNumber(value: number): string {
  if (value === 0 || Math.abs(value) >= 0.01) return value.toFixed(2);
  return value.toPrecision(2);
}

function formatPercent(value: number): string {
  return `${Number(value.toFixed(2))}%`;
}
