import type { RoutingSnapshot } from '@contracts/generated/control/v1/routing_pb';

/**
 * What the deployments module (revisions, analyses, decisions) and the canary-analysis module
 * (sources, checks, the loop that decides) agree on. The deployments module persists and applies;
 * the analysis module measures and decides.
 */

/** Thresholds and pacing of an automated canary analysis (Flagger's canary analysis, plus quality). */
export interface AnalysisSpec {
  /** How often the canary is judged; each judgement looks at the last interval. */
  intervalSeconds: number;
  /** The canary's weight at the start, and what each passing interval adds, up to maxWeightPercent. */
  stepWeightPercent: number;
  maxWeightPercent: number;
  /** Passing intervals at maxWeightPercent before the canary is promoted (>= 1). */
  iterations: number;
  /** Failed judgements (any check failing) before the canary is rolled back (>= 1). */
  failureLimit: number;
  /** Fewer primary calls than this on either version in an interval: the interval pauses (no step). */
  minCalls: number;
  /** Fewer compared images than this: the quality checks pause. */
  minComparisons: number;
  /**
   * Share of stable's calls copied to the canary as a shadow, so both versions answer the same
   * images (the quality checks' input); 0 turns the quality checks off.
   */
  comparisonSamplePercent: number;
  /** SLO: canary error rate minus stable's, at most (0.01 = one point). */
  maxErrorRateIncrease: number;
  /** SLO: canary p99 / stable p99, at most. */
  maxP99LatencyRatio: number;
  /** Quality: IoU-matched F1 of the canary's detections against stable's on the same images, at least. */
  minAgreementF1: number;
  /** Quality: population stability index of the confidence scores (canary vs stable), at most. */
  maxScorePsi: number;
  /** Quality: |canary detections per image / stable's - 1|, at most. */
  maxDetectionsPerImageChange: number;
}

export type AnalysisAction = 'step' | 'pause' | 'promote' | 'rollback';

/** One check of one judgement, with what was measured and the bound it was held to. */
export interface AnalysisMeasurement {
  /** error_rate | p99_latency_ms | agreement_f1 | score_psi | score_ks | detections_per_image */
  check: string;
  stableValue: number | null;
  canaryValue: number | null;
  /** The compared value (a difference, a ratio, F1, PSI, ...). */
  value: number | null;
  threshold: number | null;
  /** null: not enough data to judge. */
  passed: boolean | null;
  samples: number;
}

/** A judgement the analysis made: recorded, and applied as a new revision when it changes routing. */
export interface AnalysisDecisionInput {
  action: AnalysisAction;
  reason: string;
  /** The canary's weight after the decision (promote: 100 → it is stable; rollback: 0). */
  canaryWeightPercent: number;
  measurements: AnalysisMeasurement[];
}

/** An analysis in progress, as the loop that judges it needs it. */
export interface RunningAnalysis {
  analysisId: string;
  model: string;
  spec: AnalysisSpec;
  stableVersion: string;
  canaryVersion: string;
  canaryWeightPercent: number;
  /** Judgements recorded so far, failed ones, and passing ones at maxWeightPercent. */
  iterations: number;
  failures: number;
  passesAtMaxWeight: number;
  startedAt: Date;
  lastDecisionAt: Date | null;
}

/** Provided by the deployments module: the routing table the gateways follow, and its changes. */
export interface RoutingSnapshotSource {
  /** The table at the newest revision (0 and no routes when there are no deployments). */
  current(): Promise<RoutingSnapshot>;
  /** Called with the new revision after a change commits (here or on another control-plane replica). */
  onChange(listener: (revision: bigint) => void): () => void;
}
