import { type EntityManager } from 'typeorm';
import { type AnalysisDecisionInput } from './canary-analysis-contract';
import { type DeploymentSpec } from './deployment-spec';
import { type AnalysisState, CanaryAnalysisEntity } from './entities/canary-analysis.entity';

/** Ends a running analysis with its outcome. */
export async function finishAnalysis(
  manager: EntityManager,
  analysis: CanaryAnalysisEntity,
  state: Exclude<AnalysisState, 'running'>,
  reason: string,
): Promise<void> {
  const finishedAt = new Date();
  await manager
    .getRepository(CanaryAnalysisEntity)
    .update({ id: analysis.id }, { state, finishedAt, outcomeReason: reason });
  Object.assign(analysis, { state, finishedAt, outcomeReason: reason });
}

/**
 * The counters after a judgement: every judgement counts; one with a failed check is a failure;
 * one without, that judged an interval the canary served at the maximum weight, is a pass there.
 * A pause judged nothing (too little data), so it is neither.
 */
export function countersAfter(
  analysis: CanaryAnalysisEntity,
  decision: AnalysisDecisionInput,
  weightJudged: number,
): Pick<CanaryAnalysisEntity, 'iterations' | 'failures' | 'passesAtMaxWeight'> {
  const failed = decision.measurements.some((measurement) => measurement.passed === false);
  const passedAtMax =
    !failed && decision.action !== 'pause' && weightJudged >= analysis.spec.maxWeightPercent;
  return {
    iterations: analysis.iterations + 1,
    failures: analysis.failures + (failed ? 1 : 0),
    passesAtMaxWeight: analysis.passesAtMaxWeight + (passedAtMax ? 1 : 0),
  };
}

/** The canary becomes stable; it stops shadowing itself if it was also a shadow. */
export function promotedSpec(spec: DeploymentSpec, canaryVersion: string): DeploymentSpec {
  return {
    ...spec,
    stableVersion: canaryVersion,
    canary: null,
    shadows: spec.shadows.filter((shadow) => shadow.version !== canaryVersion),
  };
}

/** The same routing with the canary's share set to `weightPercent`. */
export function withCanaryWeight(
  spec: DeploymentSpec,
  canaryVersion: string,
  weightPercent: number,
): DeploymentSpec {
  return { ...spec, canary: { version: canaryVersion, weightPercent } };
}
