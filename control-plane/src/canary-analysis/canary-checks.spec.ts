import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { missingPrerequisite, seededRandom } from '@test-support';
import type { AnalysisSpec } from '../deployments/canary-analysis-contract';
import {
  emptyComparisonWindow,
  emptyVersionWindow,
  type ComparisonWindow,
  type VersionWindow,
} from './analysis-window';
import { agreementF1, evaluateChecks, requiredChecks } from './canary-checks';
import {
  histogramQuantile,
  ksStatistic,
  populationStabilityIndex,
} from './distribution-statistics';

const ROOT = path.resolve(__dirname, '../../..');
const PYTHON = process.env.PYTHON ?? path.join(ROOT, '.venv/bin/python');
const REFERENCE = path.join(__dirname, 'test-reference/distribution_reference.py');
const LATENCY_BOUNDS_MS = [1, 2, 5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2000];
const SCORE_BOUNDS = Array.from({ length: 20 }, (_, index) => (index + 1) / 20);

const SPEC: AnalysisSpec = {
  intervalSeconds: 30,
  stepWeightPercent: 10,
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

function binned(bounds: number[], values: number[]): number[] {
  const counts = new Array<number>(bounds.length + 1).fill(0);
  for (const value of values) {
    const index = bounds.findIndex((bound) => value <= bound);
    counts[index === -1 ? bounds.length : index] += 1;
  }
  return counts;
}

function versionWindow(
  overrides: Partial<VersionWindow> & { latenciesMs?: number[] },
): VersionWindow {
  const { latenciesMs = [], ...rest } = overrides;
  const window = emptyVersionWindow(LATENCY_BOUNDS_MS, SCORE_BOUNDS);
  return {
    ...window,
    calls: latenciesMs.length,
    latencyBuckets: binned(LATENCY_BOUNDS_MS, latenciesMs),
    ...rest,
  };
}

function comparisonWindow(overrides: Partial<ComparisonWindow>): ComparisonWindow {
  return { ...emptyComparisonWindow(LATENCY_BOUNDS_MS, SCORE_BOUNDS), ...overrides };
}

const constant = (n: number, ms: number): number[] => new Array<number>(n).fill(ms);

describe('histogramQuantile (Prometheus histogram_quantile semantics)', () => {
  it('interpolates linearly within the bucket the rank falls in, the first from 0', () => {
    // 100 observations: 50 in (0, 10], 50 in (10, 20]; rank 99 is 49/50 of the way into the second.
    expect(histogramQuantile(0.99, [10, 20], [50, 50, 0])).toBeCloseTo(19.8, 10);
    expect(histogramQuantile(0.5, [10, 20], [50, 50, 0])).toBeCloseTo(10, 10);
    expect(histogramQuantile(0.25, [10, 20], [50, 50, 0])).toBeCloseTo(5, 10);
  });

  it('answers the highest finite bound for a rank in +Inf, and null for no observations', () => {
    expect(histogramQuantile(0.99, [10, 20], [1, 1, 98])).toBe(20);
    expect(histogramQuantile(0.99, [10, 20], [0, 0, 0])).toBeNull();
    expect(histogramQuantile(0.99, [], [5])).toBeNull();
  });

  it('skips empty buckets below the rank', () => {
    expect(histogramQuantile(0.5, [1, 2, 4], [0, 0, 10, 0])).toBeCloseTo(3, 10);
  });

  it('refuses buckets that do not match the bounds', () => {
    expect(() => histogramQuantile(0.99, [1, 2], [1, 2])).toThrow(/one bucket more/);
  });
});

describe('distribution statistics against numpy and scipy', () => {
  const python = spawnSync(PYTHON, ['-c', 'import numpy, scipy.stats'], { encoding: 'utf8' });
  const missing =
    python.error !== undefined || python.status !== 0
      ? `"${PYTHON} -c 'import numpy, scipy.stats'" failed (${python.error?.message ?? python.stderr.trim().split('\n').pop()}). ` +
        'Install with: .venv/bin/pip install -r scripts/requirements-test.txt (or set PYTHON).'
      : undefined;
  if (missingPrerequisite('numpy and scipy (the PSI/KS/p99 reference)', missing)) return;

  const random = seededRandom(20260513);
  const pairs: [number[], number[]][] = [];
  // Hand-made edges: identical, disjoint, one empty bin on one side, single bins.
  pairs.push([
    [5, 10, 20, 0],
    [5, 10, 20, 0],
  ]);
  pairs.push([
    [10, 0, 0],
    [0, 0, 10],
  ]);
  pairs.push([
    [3, 0, 7, 1],
    [2, 4, 6, 0],
  ]);
  pairs.push([[1], [1]]);
  for (let index = 0; index < 60; index++) {
    const bins = 2 + Math.floor(random() * 20);
    const draw = (): number[] =>
      Array.from({ length: bins }, () => (random() < 0.2 ? 0 : Math.floor(random() * 200)));
    let [first, second] = [draw(), draw()];
    if (first.every((count) => count === 0)) first = [...first.slice(1), 1];
    if (second.every((count) => count === 0)) second = [1, ...second.slice(1)];
    pairs.push([first, second]);
  }
  // Raw latencies (log-normal around 20-80 ms, some tail): the p99 reference is their quantile.
  const samples = Array.from({ length: 20 }, (_, index) => {
    const median = 20 + index * 3;
    return Array.from({ length: 500 + index * 100 }, () => {
      const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      return median * Math.exp(0.6 * normal);
    });
  });

  const run = spawnSync(PYTHON, [REFERENCE], {
    input: JSON.stringify({ pairs, samples }),
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  const reference = (): { psi: number[]; ks: number[]; p99: number[] } => {
    if (run.status !== 0) throw new Error(`reference failed: ${run.stderr}`);
    return JSON.parse(run.stdout) as { psi: number[]; ks: number[]; p99: number[] };
  };

  it('PSI equals numpy on the same proportions (empty bins at 1e-4)', () => {
    const expected = reference().psi;
    pairs.forEach(([first, second], index) => {
      expect(populationStabilityIndex(first, second)).toBeCloseTo(expected[index], 9);
    });
    expect(populationStabilityIndex([5, 10, 20, 0], [5, 10, 20, 0])).toBe(0);
  });

  it('KS statistic equals scipy.stats.ks_2samp on samples expanded from the bins', () => {
    const expected = reference().ks;
    pairs.forEach(([first, second], index) => {
      expect(ksStatistic(first, second)).toBeCloseTo(expected[index], 12);
    });
  });

  it('p99 from the buckets lies within one bucket width of the raw samples’ p99', () => {
    const expected = reference().p99;
    samples.forEach((values, index) => {
      const estimate = histogramQuantile(
        0.99,
        LATENCY_BOUNDS_MS,
        binned(LATENCY_BOUNDS_MS, values),
      );
      const truth = expected[index];
      const bucket = LATENCY_BOUNDS_MS.findIndex((bound) => truth <= bound);
      const width = LATENCY_BOUNDS_MS[bucket] - (bucket === 0 ? 0 : LATENCY_BOUNDS_MS[bucket - 1]);
      expect(estimate).not.toBeNull();
      expect(Math.abs((estimate ?? 0) - truth)).toBeLessThanOrEqual(width);
    });
  });
});

describe('evaluateChecks', () => {
  const healthy = versionWindow({ latenciesMs: [...constant(990, 15), ...constant(10, 40)] });
  const goodComparison = comparisonWindow({
    compared: 50,
    primaryDetections: 100,
    shadowDetections: 100,
    matched: 95,
    primaryScoreBuckets: [...new Array<number>(15).fill(0), 20, 20, 20, 20, 20, 0],
    shadowScoreBuckets: [...new Array<number>(15).fill(0), 21, 19, 20, 20, 20, 0],
  });

  it('passes a canary that behaves like stable, with every check measured', () => {
    const measurements = evaluateChecks(SPEC, healthy, healthy, goodComparison);
    expect(measurements.map((m) => m.check)).toEqual([
      'error_rate',
      'p99_latency_ms',
      'agreement_f1',
      'score_psi',
      'score_ks',
      'detections_per_image',
    ]);
    const byCheck = Object.fromEntries(measurements.map((m) => [m.check, m]));
    expect(byCheck.error_rate).toMatchObject({ value: 0, passed: true, samples: 1000 });
    expect(byCheck.p99_latency_ms).toMatchObject({ value: 1, passed: true, threshold: 1.5 });
    expect(byCheck.agreement_f1).toMatchObject({ value: 0.95, passed: true, samples: 50 });
    expect(byCheck.score_psi.passed).toBe(true);
    // Reported only: AnalysisSpec has no KS threshold.
    expect(byCheck.score_ks).toMatchObject({ threshold: null, passed: null });
    expect(byCheck.score_ks.value).toBeCloseTo(0.01, 10);
    expect(byCheck.detections_per_image).toMatchObject({
      stableValue: 2,
      canaryValue: 2,
      value: 0,
      passed: true,
    });
  });

  it('fails each check on its own bound', () => {
    const erring = { ...healthy, errors: 50 };
    const slow = versionWindow({ latenciesMs: [...constant(900, 15), ...constant(100, 140)] });
    const disagreeing = {
      ...goodComparison,
      matched: 40,
      shadowDetections: 150,
      shadowScoreBuckets: [20, 20, 20, 20, 20, ...new Array<number>(16).fill(0)],
    };
    const byCheck = Object.fromEntries(
      evaluateChecks(SPEC, healthy, { ...slow, errors: 50 }, disagreeing).map((m) => [m.check, m]),
    );
    expect(byCheck.error_rate).toMatchObject({ stableValue: 0, canaryValue: 0.05, passed: false });
    expect(byCheck.error_rate.value).toBeCloseTo(0.05, 12);
    expect(byCheck.p99_latency_ms.passed).toBe(false);
    expect(byCheck.p99_latency_ms.value).toBeGreaterThan(5);
    expect(byCheck.agreement_f1).toMatchObject({ value: 80 / 250, passed: false });
    expect(byCheck.score_psi.passed).toBe(false);
    expect(byCheck.score_ks.value).toBe(1);
    expect(byCheck.detections_per_image).toMatchObject({ value: 0.5, passed: false });
    expect(evaluateChecks(SPEC, healthy, erring, goodComparison)[0].passed).toBe(false);
  });

  it('leaves checks unjudged (passed null) below minCalls and minComparisons', () => {
    const few = versionWindow({ latenciesMs: constant(99, 15) });
    const fewCompared = { ...goodComparison, compared: 19 };
    const measurements = evaluateChecks(SPEC, healthy, few, fewCompared);
    expect(measurements.map((m) => m.passed)).toEqual([null, null, null, null, null, null]);
    expect(measurements[0].samples).toBe(99);
    expect(
      evaluateChecks(SPEC, healthy, healthy, undefined)
        .slice(2)
        .map((m) => m.passed),
    ).toEqual([null, null, null, null]);
  });

  it('measures only the SLOs when comparisons are off', () => {
    const off = { ...SPEC, comparisonSamplePercent: 0 };
    expect(evaluateChecks(off, healthy, healthy, goodComparison).map((m) => m.check)).toEqual([
      'error_rate',
      'p99_latency_ms',
    ]);
    expect(requiredChecks(off)).toEqual(['error_rate', 'p99_latency_ms']);
  });

  it('treats detections where stable found none as an unbounded change', () => {
    const none = comparisonWindow({ ...goodComparison, primaryDetections: 0, matched: 0 });
    const check = evaluateChecks(SPEC, healthy, healthy, none).find(
      (m) => m.check === 'detections_per_image',
    );
    expect(check).toMatchObject({ stableValue: 0, canaryValue: 2, value: null, passed: false });
  });

  it('counts compared images where neither side detected anything as agreement', () => {
    expect(agreementF1(comparisonWindow({ compared: 10 }))).toBe(1);
    expect(agreementF1(comparisonWindow({}))).toBeNull();
  });
});
