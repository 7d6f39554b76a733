import { create } from '@bufbuild/protobuf';
import { Logger } from '@nestjs/common';
import {
  CallStatisticsReportSchema,
  ComparisonStatisticsSchema,
  VersionCallStatisticsSchema,
} from '@contracts/generated/control/v1/routing_pb';
import type {
  AnalysisDecisionInput,
  AnalysisSpec,
  RunningAnalysis,
} from '../deployments/canary-analysis-contract';
import type { AnalysisDecisions } from './analysis-ports';
import type { AnalysisSource } from './analysis-source';
import { CanaryAnalysisRunner } from './canary-analysis.runner';
import { GatewayStatisticsSource } from './gateway-statistics.source';
import { GatewayStatisticsStore } from './gateway-statistics.store';
import { InProcessJudgeLock, type JudgeLock } from './judge-lock';

const T0 = 1_700_000_000_000;
const LATENCY = [10, 20, 50];
const SCORE = [0.25, 0.5, 0.75];

const SPEC: AnalysisSpec = {
  intervalSeconds: 10,
  stepWeightPercent: 10,
  maxWeightPercent: 30,
  iterations: 2,
  failureLimit: 2,
  minCalls: 50,
  minComparisons: 10,
  comparisonSamplePercent: 20,
  maxErrorRateIncrease: 0.01,
  maxP99LatencyRatio: 1.5,
  minAgreementF1: 0.9,
  maxScorePsi: 0.2,
  maxDetectionsPerImageChange: 0.2,
};

/** Stands in for DeploymentsService: holds analyses, applies each decision's counters. */
class FakeDeployments implements AnalysisDecisions {
  readonly recorded: { analysisId: string; decision: AnalysisDecisionInput }[] = [];
  failNextRecord = false;
  constructor(
    readonly analyses: RunningAnalysis[],
    private readonly clock: () => number,
  ) {}

  runningAnalyses(): Promise<RunningAnalysis[]> {
    return Promise.resolve(this.analyses.map((analysis) => ({ ...analysis })));
  }

  recordAnalysisDecision(analysisId: string, decision: AnalysisDecisionInput): Promise<void> {
    if (this.failNextRecord) {
      this.failNextRecord = false;
      return Promise.reject(new Error('database unavailable'));
    }
    this.recorded.push({ analysisId, decision });
    const analysis = this.analyses.find((one) => one.analysisId === analysisId);
    if (analysis === undefined) return Promise.resolve();
    const failed = decision.measurements.some((m) => m.passed === false);
    const atMax = analysis.canaryWeightPercent >= analysis.spec.maxWeightPercent;
    Object.assign(analysis, {
      iterations: analysis.iterations + 1,
      failures: analysis.failures + (failed ? 1 : 0),
      passesAtMaxWeight:
        analysis.passesAtMaxWeight + (!failed && decision.action !== 'pause' && atMax ? 1 : 0),
      canaryWeightPercent: decision.canaryWeightPercent,
      lastDecisionAt: new Date(this.clock()),
    });
    if (decision.action === 'promote' || decision.action === 'rollback') {
      this.analyses.splice(this.analyses.indexOf(analysis), 1);
    }
    return Promise.resolve();
  }
}

function runningAnalysis(overrides: Partial<RunningAnalysis> = {}): RunningAnalysis {
  return {
    analysisId: 'a-1',
    model: 'nanodet',
    spec: SPEC,
    stableVersion: '1',
    canaryVersion: '2',
    canaryWeightPercent: 10,
    iterations: 0,
    failures: 0,
    passesAtMaxWeight: 0,
    startedAt: new Date(T0),
    lastDecisionAt: null,
    ...overrides,
  };
}

interface Traffic {
  stableCalls: number;
  canaryCalls: number;
  canaryErrors?: number;
  compared: number;
  /** Matched pairs per compared image (stable and canary each detect 2 per image). */
  matchedPerImage: number;
}

/** One second of one gateway's report: stable and canary calls, and shadow comparisons. */
function feed(store: GatewayStatisticsStore, atMs: number, traffic: Traffic): void {
  const versionEntry = (name: string, calls: number, errors = 0) =>
    create(VersionCallStatisticsSchema, {
      model: 'nanodet',
      version: name,
      calls: BigInt(calls),
      errors: BigInt(errors),
      latencyBucketCounts: [BigInt(calls), 0n, 0n, 0n],
      images: BigInt(calls),
      detections: BigInt(2 * calls),
      scoreBucketCounts: [0n, 0n, BigInt(2 * calls), 0n],
    });
  const { compared } = traffic;
  store.ingest(
    create(CallStatisticsReportSchema, {
      latencyBoundsMs: LATENCY,
      scoreBounds: SCORE,
      versions: [
        versionEntry('1', traffic.stableCalls),
        versionEntry('2', traffic.canaryCalls, traffic.canaryErrors),
      ],
      comparisons: [
        create(ComparisonStatisticsSchema, {
          model: 'nanodet',
          primaryVersion: '1',
          shadowVersion: '2',
          compared: BigInt(compared),
          primaryDetections: BigInt(2 * compared),
          shadowDetections: BigInt(2 * compared),
          matched: BigInt(Math.round(traffic.matchedPerImage * compared)),
          shadowLatencyBucketCounts: [BigInt(compared), 0n, 0n, 0n],
          primaryScoreBucketCounts: [0n, 0n, BigInt(2 * compared), 0n],
          shadowScoreBucketCounts: [0n, 0n, BigInt(2 * compared), 0n],
        }),
      ],
    }),
    atMs,
  );
}

describe('CanaryAnalysisRunner (fake deployments, real statistics store)', () => {
  let now: number;
  const clock = (): number => now;
  let store: GatewayStatisticsStore;
  let warnings: string[];

  beforeEach(() => {
    now = T0;
    store = new GatewayStatisticsStore({}, clock);
    warnings = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
      warnings.push(String(message));
    });
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  function runner(
    deployments: AnalysisDecisions,
    source: AnalysisSource = new GatewayStatisticsSource(store, clock),
    lock: JudgeLock = new InProcessJudgeLock(),
  ): CanaryAnalysisRunner {
    return new CanaryAnalysisRunner(deployments, source, lock, clock);
  }

  /** Seconds of traffic up to `now`, then one tick. */
  async function run(
    target: CanaryAnalysisRunner,
    seconds: number,
    traffic: Traffic,
  ): Promise<void> {
    for (let second = 0; second < seconds; second++) {
      now += 1000;
      feed(store, now - 500, traffic);
    }
    await target.tick();
  }

  const healthy: Traffic = { stableCalls: 20, canaryCalls: 10, compared: 4, matchedPerImage: 2 };

  it('steps a healthy canary up interval by interval, then promotes it', async () => {
    const deployments = new FakeDeployments([runningAnalysis()], clock);
    const target = runner(deployments);
    await run(target, 9, healthy);
    expect(deployments.recorded).toHaveLength(0); // 9 s < intervalSeconds
    await run(target, 1, healthy);
    const actions = (): string[] =>
      deployments.recorded.map(
        ({ decision }) => `${decision.action} ${decision.canaryWeightPercent}`,
      );
    expect(actions()).toEqual(['step 20']);
    const first = deployments.recorded[0].decision;
    expect(first.measurements.map((m) => [m.check, m.passed])).toEqual([
      ['error_rate', true],
      ['p99_latency_ms', true],
      ['agreement_f1', true],
      ['score_psi', true],
      ['score_ks', null],
      ['detections_per_image', true],
    ]);
    // The last interval only: 10 s of canary calls (10 a second), 40 compared images.
    expect(first.measurements[0].samples).toBe(100);
    expect(first.measurements[2].samples).toBe(40);
    for (let interval = 0; interval < 3; interval++) await run(target, 10, healthy);
    expect(actions()).toEqual(['step 20', 'step 30', 'step 30', 'promote 100']);
    expect(deployments.analyses).toHaveLength(0);
  });

  it('rolls back a canary that disagrees with stable on the same images', async () => {
    const deployments = new FakeDeployments([runningAnalysis()], clock);
    const target = runner(deployments);
    const wrongLabels: Traffic = { ...healthy, matchedPerImage: 1 };
    await run(target, 10, wrongLabels);
    await run(target, 10, wrongLabels);
    const decisions = deployments.recorded.map(({ decision }) => decision);
    expect(decisions.map((d) => d.action)).toEqual(['pause', 'rollback']);
    expect(decisions[1].reason).toBe('agreement_f1 0.50 < 0.90 (failure 2 of 2: rolled back)');
    expect(decisions[1].canaryWeightPercent).toBe(0);
  });

  it('rolls back on the SLOs: a canary failing calls', async () => {
    const deployments = new FakeDeployments([runningAnalysis({ failures: 1 })], clock);
    await run(runner(deployments), 10, { ...healthy, canaryErrors: 2 });
    expect(deployments.recorded[0].decision.action).toBe('rollback');
    expect(deployments.recorded[0].decision.reason).toMatch(/^error_rate 0\.20 > 0\.01/);
  });

  it('pauses without counting a failure while there is too little traffic', async () => {
    const deployments = new FakeDeployments([runningAnalysis()], clock);
    await run(runner(deployments), 10, { ...healthy, canaryCalls: 1, compared: 0 });
    expect(deployments.recorded[0].decision).toMatchObject({
      action: 'pause',
      canaryWeightPercent: 10,
    });
    expect(deployments.recorded[0].decision.reason).toMatch(
      /^not enough data: error_rate \(10 calls, need 50\)/,
    );
    expect(deployments.analyses[0].failures).toBe(0);
  });

  it('logs a failing source or write, records nothing, and judges again at the next tick', async () => {
    const deployments = new FakeDeployments([runningAnalysis()], clock);
    const real = new GatewayStatisticsSource(store, clock);
    let down = true;
    const flaky: AnalysisSource = {
      versionWindow: (...args) =>
        down ? Promise.reject(new Error('Prometheus unreachable')) : real.versionWindow(...args),
      comparisonWindow: (...args) => real.comparisonWindow(...args),
    };
    const target = runner(deployments, flaky);
    await run(target, 10, healthy);
    await target.tick();
    expect(deployments.recorded).toHaveLength(0);
    // The same failure is logged once, not every second.
    expect(warnings).toEqual([
      'judging nanodet 2 (analysis a-1) failed, retried in 1 s: Prometheus unreachable',
    ]);
    down = false;
    deployments.failNextRecord = true;
    await target.tick();
    expect(deployments.recorded).toHaveLength(0);
    expect(warnings[1]).toContain('database unavailable');
    await target.tick();
    expect(deployments.recorded.map(({ decision }) => decision.action)).toEqual(['step']);
  });

  it('survives the deployments service failing to list analyses', async () => {
    const deployments: AnalysisDecisions = {
      runningAnalyses: () => Promise.reject(new Error('connection reset')),
      recordAnalysisDecision: () => Promise.resolve(),
    };
    await expect(runner(deployments).tick()).resolves.toBeUndefined();
    expect(warnings).toEqual(['canary analysis tick failed, retried in 1 s: connection reset']);
  });

  it('judges nothing while another replica holds the lock', async () => {
    const deployments = new FakeDeployments([runningAnalysis()], clock);
    const heldElsewhere: JudgeLock = { whileHeld: () => Promise.resolve(undefined) };
    await run(runner(deployments, undefined, heldElsewhere), 10, healthy);
    expect(deployments.recorded).toHaveLength(0);
  });

  it('ticks every second on a timer that never overlaps itself and stops on shutdown', async () => {
    let inFlight = 0;
    let most = 0;
    let calls = 0;
    const slow: AnalysisDecisions = {
      runningAnalyses: async () => {
        calls += 1;
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 700));
        inFlight -= 1;
        return [];
      },
      recordAnalysisDecision: () => Promise.resolve(),
    };
    const target = new CanaryAnalysisRunner(
      slow,
      new GatewayStatisticsSource(store),
      new InProcessJudgeLock(),
    );
    target.onApplicationBootstrap();
    // Ticks of 0.7 s every second: the second would start at about 2 s; not asserted (timing).
    await new Promise((resolve) => setTimeout(resolve, 2300));
    await target.onApplicationShutdown();
    const after = calls;
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(most).toBe(1);
    expect(after).toBeGreaterThanOrEqual(1);
    expect(calls).toBe(after);
    expect(inFlight).toBe(0);
  });
});
