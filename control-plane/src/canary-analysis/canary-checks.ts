import type { AnalysisMeasurement, AnalysisSpec } from '../deployments/canary-analysis-contract';
import type { ComparisonWindow, VersionWindow } from './analysis-window';
import {
  histogramQuantile,
  ksStatistic,
  populationStabilityIndex,
} from './distribution-statistics';

/** The checks a judgement makes; the quality ones only when comparisons are sampled. */
export const CHECK = {
  errorRate: 'error_rate',
  p99Latency: 'p99_latency_ms',
  agreementF1: 'agreement_f1',
  scorePsi: 'score_psi',
  scoreKs: 'score_ks',
  detectionsPerImage: 'detections_per_image',
} as const;

/** Checks whose outcome decides; score_ks has no threshold in AnalysisSpec and is only reported. */
export function requiredChecks(spec: AnalysisSpec): string[] {
  const slo = [CHECK.errorRate, CHECK.p99Latency];
  return qualityOn(spec)
    ? [...slo, CHECK.agreementF1, CHECK.scorePsi, CHECK.detectionsPerImage]
    : slo;
}

export function qualityOn(spec: AnalysisSpec): boolean {
  return spec.comparisonSamplePercent > 0;
}

export function errorRate(window: VersionWindow): number | null {
  return window.calls > 0 ? window.errors / window.calls : null;
}

export function p99LatencyMs(window: VersionWindow): number | null {
  return histogramQuantile(0.99, window.latencyBoundsMs, window.latencyBuckets);
}

/**
 * IoU-matched micro-F1 of the shadow's detections against the primary's: 2m / (p + s). Compared
 * images on which neither side detected anything agree perfectly (1).
 */
export function agreementF1(comparison: ComparisonWindow): number | null {
  const detections = comparison.primaryDetections + comparison.shadowDetections;
  if (detections > 0) return (2 * comparison.matched) / detections;
  return comparison.compared > 0 ? 1 : null;
}

/**
 * One judgement's measurements of the canary against stable over one interval: SLOs from the
 * versions' own calls, quality from the shadow comparisons (primary = stable, shadow = canary, so
 * both answered the same images). `passed` is null where there are too few samples to judge.
 */
export function evaluateChecks(
  spec: AnalysisSpec,
  stable: VersionWindow,
  canary: VersionWindow,
  comparison: ComparisonWindow | undefined,
): AnalysisMeasurement[] {
  const calls = Math.min(stable.calls, canary.calls);
  const enoughCalls = calls >= spec.minCalls;
  const measurements = [
    errorRateCheck(spec, stable, canary, calls, enoughCalls),
    latencyCheck(spec, stable, canary, calls, enoughCalls),
  ];
  if (!qualityOn(spec)) return measurements;
  const compared = comparison?.compared ?? 0;
  const enough = comparison !== undefined && compared > 0 && compared >= spec.minComparisons;
  return [...measurements, ...qualityChecks(spec, comparison, compared, enough)];
}

function errorRateCheck(
  spec: AnalysisSpec,
  stable: VersionWindow,
  canary: VersionWindow,
  samples: number,
  enough: boolean,
): AnalysisMeasurement {
  const stableValue = errorRate(stable);
  const canaryValue = errorRate(canary);
  const value = stableValue !== null && canaryValue !== null ? canaryValue - stableValue : null;
  return measurement(CHECK.errorRate, stableValue, canaryValue, value, spec.maxErrorRateIncrease, {
    enough,
    samples,
    passes: (v) => v <= spec.maxErrorRateIncrease,
  });
}

function latencyCheck(
  spec: AnalysisSpec,
  stable: VersionWindow,
  canary: VersionWindow,
  samples: number,
  enough: boolean,
): AnalysisMeasurement {
  const stableValue = p99LatencyMs(stable);
  const canaryValue = p99LatencyMs(canary);
  const value =
    stableValue !== null && canaryValue !== null && stableValue > 0
      ? canaryValue / stableValue
      : null;
  return measurement(CHECK.p99Latency, stableValue, canaryValue, value, spec.maxP99LatencyRatio, {
    enough,
    samples,
    passes: (v) => v <= spec.maxP99LatencyRatio,
  });
}

function qualityChecks(
  spec: AnalysisSpec,
  comparison: ComparisonWindow | undefined,
  samples: number,
  enough: boolean,
): AnalysisMeasurement[] {
  const f1 = comparison ? agreementF1(comparison) : null;
  const psi = comparison
    ? populationStabilityIndex(comparison.primaryScoreBuckets, comparison.shadowScoreBuckets)
    : null;
  const ks = comparison
    ? ksStatistic(comparison.primaryScoreBuckets, comparison.shadowScoreBuckets)
    : null;
  return [
    measurement(CHECK.agreementF1, null, null, f1, spec.minAgreementF1, {
      enough,
      samples,
      passes: (v) => v >= spec.minAgreementF1,
    }),
    // Scores of a canary that detects nothing cannot shift; the F1 and detections checks catch it.
    measurement(CHECK.scorePsi, null, null, psi, spec.maxScorePsi, {
      enough,
      samples,
      passes: (v) => v <= spec.maxScorePsi,
    }),
    measurement(CHECK.scoreKs, null, null, ks, null, { enough, samples, passes: () => null }),
    detectionsPerImageCheck(spec, comparison, samples, enough),
  ];
}

/**
 * Detections per compared image, canary against stable. Stable finding nothing where the canary
 * finds something is an unbounded change: value null (JSON has no Infinity) and failed.
 */
function detectionsPerImageCheck(
  spec: AnalysisSpec,
  comparison: ComparisonWindow | undefined,
  samples: number,
  enough: boolean,
): AnalysisMeasurement {
  const threshold = spec.maxDetectionsPerImageChange;
  const base = { check: CHECK.detectionsPerImage, threshold, samples };
  if (!comparison || comparison.compared === 0) {
    return { ...base, stableValue: null, canaryValue: null, value: null, passed: null };
  }
  const stableValue = comparison.primaryDetections / comparison.compared;
  const canaryValue = comparison.shadowDetections / comparison.compared;
  if (stableValue === 0) {
    const value = canaryValue === 0 ? 0 : null;
    const passed = enough ? value !== null && value <= threshold : null;
    return { ...base, stableValue, canaryValue, value, passed };
  }
  const value = Math.abs(canaryValue / stableValue - 1);
  return { ...base, stableValue, canaryValue, value, passed: enough ? value <= threshold : null };
}

function measurement(
  check: string,
  stableValue: number | null,
  canaryValue: number | null,
  value: number | null,
  threshold: number | null,
  judge: { enough: boolean; samples: number; passes: (value: number) => boolean | null },
): AnalysisMeasurement {
  const passed = judge.enough && value !== null ? judge.passes(value) : null;
  return { check, stableValue, canaryValue, value, threshold, passed, samples: judge.samples };
}
