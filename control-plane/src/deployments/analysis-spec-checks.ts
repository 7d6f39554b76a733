import { type AnalysisSpec } from './canary-analysis-contract';
import { refuse } from './deployment-spec-checks';

interface Bound {
  min: number;
  max: number;
  integer?: boolean;
}

/**
 * Every field's bounds, named in the refusal. Pacing is bounded so that an analysis neither judges
 * faster than the gateways report (every few seconds) nor stays open for more than a few days.
 */
const BOUNDS: Record<keyof AnalysisSpec, Bound> = {
  intervalSeconds: { min: 5, max: 3600, integer: true },
  stepWeightPercent: { min: 0.01, max: 100 },
  maxWeightPercent: { min: 0.01, max: 100 },
  iterations: { min: 1, max: 1000, integer: true },
  failureLimit: { min: 1, max: 1000, integer: true },
  minCalls: { min: 0, max: 1_000_000_000, integer: true },
  minComparisons: { min: 0, max: 1_000_000_000, integer: true },
  comparisonSamplePercent: { min: 0, max: 100 },
  maxErrorRateIncrease: { min: 0, max: 1 },
  maxP99LatencyRatio: { min: 1, max: 1000 },
  minAgreementF1: { min: 0, max: 1 },
  maxScorePsi: { min: 0, max: 100 },
  maxDetectionsPerImageChange: { min: 0, max: 100 },
};

/** Exactly the spec's fields (a caller's object may carry more, which must not be stored). */
export function analysisSpecOf(spec: AnalysisSpec): AnalysisSpec {
  const fields = Object.keys(BOUNDS) as (keyof AnalysisSpec)[];
  return Object.fromEntries(fields.map((field) => [field, spec[field]])) as unknown as AnalysisSpec;
}

export function checkAnalysisSpec(spec: AnalysisSpec): void {
  for (const [field, bound] of Object.entries(BOUNDS) as [keyof AnalysisSpec, Bound][]) {
    const value = spec[field];
    const wrongKind = bound.integer === true ? !Number.isInteger(value) : !Number.isFinite(value);
    if (wrongKind || value < bound.min || value > bound.max) {
      throw refuse(
        `spec.${field}`,
        `${field} must be ${bound.integer === true ? 'an integer ' : ''}from ${bound.min} to ${bound.max}, got ${value}`,
      );
    }
  }
  if (spec.stepWeightPercent > spec.maxWeightPercent) {
    throw refuse(
      'spec.stepWeightPercent',
      `stepWeightPercent (${spec.stepWeightPercent}) must not exceed maxWeightPercent (${spec.maxWeightPercent})`,
    );
  }
}

/** What an analysis uses for the fields its caller leaves out (Flagger-like pacing). */
export const DEFAULT_ANALYSIS_SPEC: Readonly<AnalysisSpec> = {
  intervalSeconds: 30,
  stepWeightPercent: 10,
  maxWeightPercent: 50,
  iterations: 2,
  failureLimit: 1,
  minCalls: 20,
  minComparisons: 20,
  comparisonSamplePercent: 20,
  maxErrorRateIncrease: 0.01,
  maxP99LatencyRatio: 1.5,
  minAgreementF1: 0.9,
  maxScorePsi: 0.2,
  maxDetectionsPerImageChange: 0.25,
};
