import type {
  AnalysisDecisionInput,
  RunningAnalysis,
} from '../deployments/canary-analysis-contract';

/** What the judge needs of the deployments module (DeploymentsService provides it). */
export interface AnalysisDecisions {
  runningAnalyses(): Promise<RunningAnalysis[]>;
  /** Records and applies the decision; what it resolves to is not used here. */
  recordAnalysisDecision(analysisId: string, decision: AnalysisDecisionInput): Promise<unknown>;
}

export const ANALYSIS_DECISIONS = Symbol('AnalysisDecisions');
export const JUDGE_LOCK = Symbol('JudgeLock');
/** Milliseconds since the epoch; Date.now unless a test provides another. */
export const ANALYSIS_CLOCK = Symbol('AnalysisClock');
