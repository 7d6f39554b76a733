import { specOf } from '../deployment-spec';
import { type AnalysisDecisionEntity } from '../entities/analysis-decision.entity';
import { type CanaryAnalysisEntity } from '../entities/canary-analysis.entity';
import { type DeploymentRevisionEntity } from '../entities/deployment-revision.entity';
import { type DeploymentEntity } from '../entities/deployment.entity';
import {
  type AnalysisActionValue,
  type AnalysisDecisionObject,
  type AnalysisStateValue,
  type CanaryAnalysisObject,
} from './canary-analysis.object';
import {
  type DeploymentObject,
  type DeploymentRevisionObject,
  type RevisionCauseValue,
} from './deployment.object';

export function toDeploymentObject(deployment: DeploymentEntity): DeploymentObject {
  if (deployment.activeRevisionId === null) throw new Error('a deployment without a revision');
  return {
    id: deployment.id,
    activeRevisionId: deployment.activeRevisionId,
    model: deployment.modelName,
    createdAt: deployment.createdAt,
  };
}

export function toRevisionObject(revision: DeploymentRevisionEntity): DeploymentRevisionObject {
  return {
    revision: revision.id,
    number: revision.number,
    ...specOf(revision),
    cause: revision.cause as RevisionCauseValue,
    reason: revision.reason,
    restoredFromRevision: revision.restoredFromRevisionId,
    actor: revision.actorSubject,
    createdAt: revision.createdAt,
  };
}

export function toAnalysisObject(analysis: CanaryAnalysisEntity): CanaryAnalysisObject {
  return {
    id: analysis.id,
    state: analysis.state as AnalysisStateValue,
    spec: { ...analysis.spec },
    canaryVersion: analysis.canaryVersion,
    startedBy: analysis.startedBy,
    startedAt: analysis.startedAt,
    finishedAt: analysis.finishedAt,
    outcomeReason: analysis.outcomeReason,
    iterations: analysis.iterations,
    failures: analysis.failures,
    passesAtMaxWeight: analysis.passesAtMaxWeight,
    lastDecisionAt: analysis.lastDecisionAt,
  };
}

export function toDecisionObject(decision: AnalysisDecisionEntity): AnalysisDecisionObject {
  return {
    id: decision.id,
    iteration: decision.iteration,
    action: decision.action as AnalysisActionValue,
    reason: decision.reason,
    canaryWeightPercent: decision.canaryWeightPercent,
    measurements: decision.measurements.map((measurement) => ({ ...measurement })),
    revision: decision.revisionId,
    createdAt: decision.createdAt,
  };
}
