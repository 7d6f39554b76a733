import type {
  AnalysisMeasurement,
  AnalysisSpec,
  RunningAnalysis,
} from '../deployments/canary-analysis-contract';
import { decide, formatNumber } from './analysis-decision';

const SPEC: AnalysisSpec = {
  intervalSeconds: 30,
  stepWeightPercent: 20,
  maxWeightPercent: 50,
  iterations: 3,
  failureLimit: 2,
  minCalls: 100,
  minComparisons: 20,
  comparisonSamplePercent: 10,
  maxErrorRateIncrease: 0.01,
  maxP99LatencyRatio: 1.5,
  minAgreementF1: 0.9,
  maxScorePsi: 0.2,
  maxDetectionsPerImageChange: 0.2,
};

function analysis(overrides: Partial<RunningAnalysis> = {}): RunningAnalysis {
  return {
    analysisId: 'a-1',
    model: 'nanodet',
    spec: SPEC,
    stableVersion: '1',
    canaryVersion: '2',
    canaryWeightPercent: 20,
    iterations: 0,
    failures: 0,
    passesAtMaxWeight: 0,
    startedAt: new Date(0),
    lastDecisionAt: null,
    ...overrides,
  };
}

function m(
  check: string,
  value: number | null,
  threshold: number | null,
  passed: boolean | null,
  samples = 500,
): AnalysisMeasurement {
  return { check, stableValue: null, canaryValue: null, value, threshold, passed, samples };
}

const passing = (): AnalysisMeasurement[] => [
  m('error_rate', 0, 0.01, true),
  m('p99_latency_ms', 1.02, 1.5, true),
  m('agreement_f1', 0.97, 0.9, true, 60),
  m('score_psi', 0.01, 0.2, true, 60),
  m('score_ks', 0.03, null, null, 60),
  m('detections_per_image', 0.02, 0.2, true, 60),
];

function replace(
  measurements: AnalysisMeasurement[],
  next: AnalysisMeasurement,
): AnalysisMeasurement[] {
  return measurements.map((one) => (one.check === next.check ? next : one));
}

describe('decide', () => {
  it('steps the weight up by stepWeightPercent when every check passes', () => {
    const decision = decide(analysis(), passing());
    expect(decision).toMatchObject({ action: 'step', canaryWeightPercent: 40 });
    expect(decision.reason).toBe('all checks passed: canary weight 20% → 40%');
    expect(decision.measurements).toEqual(passing());
  });

  it('caps the step at maxWeightPercent', () => {
    expect(decide(analysis({ canaryWeightPercent: 40 }), passing())).toMatchObject({
      action: 'step',
      canaryWeightPercent: 50,
    });
  });

  it('counts a pass at maxWeightPercent, keeping the weight, until iterations are reached', () => {
    const decision = decide(analysis({ canaryWeightPercent: 50, passesAtMaxWeight: 1 }), passing());
    expect(decision).toMatchObject({ action: 'step', canaryWeightPercent: 50 });
    expect(decision.reason).toContain('2 of 3 before promotion');
  });

  it('promotes after `iterations` passes at maxWeightPercent', () => {
    const decision = decide(analysis({ canaryWeightPercent: 50, passesAtMaxWeight: 2 }), passing());
    expect(decision).toMatchObject({ action: 'promote', canaryWeightPercent: 100 });
    expect(decision.reason).toContain('3 of 3');
  });

  it('pauses on a failed check below failureLimit, naming value and threshold', () => {
    const measurements = replace(passing(), m('agreement_f1', 0.41, 0.9, false, 60));
    const decision = decide(analysis(), measurements);
    expect(decision).toMatchObject({ action: 'pause', canaryWeightPercent: 20 });
    expect(decision.reason).toBe('agreement_f1 0.41 < 0.90 (failure 1 of 2)');
  });

  it('rolls back at failureLimit, naming every failed check', () => {
    let measurements = replace(passing(), m('agreement_f1', 0.41, 0.9, false, 60));
    measurements = replace(measurements, m('p99_latency_ms', 3.2, 1.5, false));
    measurements = replace(measurements, m('detections_per_image', null, 0.2, false, 60));
    const decision = decide(analysis({ failures: 1 }), measurements);
    expect(decision).toMatchObject({ action: 'rollback', canaryWeightPercent: 0 });
    expect(decision.reason).toBe(
      'p99_latency_ms 3.20 > 1.50; agreement_f1 0.41 < 0.90; detections_per_image unbounded > 0.20 (failure 2 of 2: rolled back)',
    );
  });

  it('rolls back at once with failureLimit 1', () => {
    const measurements = replace(passing(), m('error_rate', 0.004, 0.001, false));
    const decision = decide(analysis({ spec: { ...SPEC, failureLimit: 1 } }), measurements);
    expect(decision.action).toBe('rollback');
    expect(decision.reason).toContain('error_rate 0.0040 > 0.0010');
  });

  it('judges a failure even when other checks lack data', () => {
    let measurements = replace(passing(), m('error_rate', 0.2, 0.01, false));
    measurements = replace(measurements, m('agreement_f1', null, 0.9, null, 3));
    expect(decide(analysis(), measurements).action).toBe('pause');
    expect(decide(analysis(), measurements).reason).toMatch(/^error_rate 0.20 > 0.01/);
  });

  it('pauses with "not enough data" when a required check is unjudged', () => {
    const measurements = replace(passing(), m('error_rate', 0, 0.01, null, 12));
    const decision = decide(analysis(), measurements);
    expect(decision).toMatchObject({ action: 'pause', canaryWeightPercent: 20 });
    expect(decision.reason).toBe('not enough data: error_rate (12 calls, need 100)');
  });

  it('pauses when quality is on and a quality check is missing or unjudged', () => {
    const unjudged = replace(passing(), m('score_psi', null, 0.2, null, 4));
    expect(decide(analysis(), unjudged).reason).toBe(
      'not enough data: score_psi (4 comparisons, need 20)',
    );
    const slosOnly = passing().slice(0, 2);
    expect(decide(analysis(), slosOnly).reason).toBe(
      'not enough data: agreement_f1 (not measured), score_psi (not measured), detections_per_image (not measured)',
    );
  });

  it('pauses when quality is on and nothing was compared, even with minComparisons 0', () => {
    const spec = { ...SPEC, minComparisons: 0 };
    const measurements = passing().map((one) =>
      ['error_rate', 'p99_latency_ms'].includes(one.check) ? one : { ...one, samples: 0 },
    );
    expect(decide(analysis({ spec }), measurements)).toMatchObject({
      action: 'pause',
      reason: 'not enough data: no comparisons (is the canary shadowing stable?)',
    });
  });

  it('judges on the SLOs alone when comparisons are off', () => {
    const spec = { ...SPEC, comparisonSamplePercent: 0 };
    expect(decide(analysis({ spec }), passing().slice(0, 2)).action).toBe('step');
  });

  it('does not judge score_ks (no threshold): its null does not pause', () => {
    const measurements = replace(passing(), m('score_ks', 0.9, null, null, 60));
    expect(decide(analysis(), measurements).action).toBe('step');
  });

  it('formats small values with two significant digits', () => {
    expect(formatNumber(0)).toBe('0.00');
    expect(formatNumber(0.41)).toBe('0.41');
    expect(formatNumber(0.0042)).toBe('0.0042');
    expect(formatNumber(12.345)).toBe('12.35');
  });
});
