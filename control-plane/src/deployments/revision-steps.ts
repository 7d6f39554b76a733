import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { finishAnalysis } from './analysis-progress';
import { type DeploymentChange, type NewRevision, requireActive } from './deployment-changes';
import { specOf } from './deployment-spec';
import { refuse } from './deployment-spec-checks';
import { previousStableRevision } from './rollback-target';

/** The steps the deployment and analysis commands share, inside a change's transaction. */
@Injectable()
export class RevisionSteps {
  constructor(private readonly audit: AuditService) {}

  /** To the previous stable revision; for the analysis, without one, the canary is dropped. */
  async rollBack(
    change: DeploymentChange,
    reason: string,
    cause: 'rollback' | 'analysis-rollback',
    action: string,
    details: Record<string, unknown> = {},
  ): Promise<void> {
    const active = requireActive(change);
    const target = await previousStableRevision(change.manager, active);
    if (target === null && cause === 'rollback') {
      throw refuse(
        'model',
        `the deployment of ${change.model.name} has no earlier revision without a canary that differs from revision ${active.id}; there is nothing to roll back to`,
      );
    }
    await this.endAnalysis(change, 'rolled_back', reason);
    await this.append(
      change,
      action,
      {
        spec: target === null ? { ...specOf(active), canary: null } : specOf(target),
        cause,
        reason,
        restoredFromRevisionId: target?.id ?? null,
      },
      details,
    );
  }

  async endAnalysis(
    change: DeploymentChange,
    state: 'promoted' | 'rolled_back' | 'aborted',
    reason: string,
  ): Promise<void> {
    if (change.runningAnalysis?.state === 'running') {
      await finishAnalysis(change.manager, change.runningAnalysis, state, reason);
    }
  }

  /** Appends the revision and audits it; a running analysis whose canary it drops is aborted. */
  async append(
    change: DeploymentChange,
    action: string,
    revision: NewRevision,
    details: Record<string, unknown> = {},
  ): Promise<void> {
    const before = change.active;
    const appended = await change.append(revision);
    const analysis = change.runningAnalysis;
    if (analysis?.state === 'running' && appended.canaryVersion !== analysis.canaryVersion) {
      await finishAnalysis(
        change.manager,
        analysis,
        'aborted',
        `the canary changed (${revision.cause} by ${change.actor.subject})`,
      );
    }
    await this.audit.record(change.manager, change.actor, {
      action,
      subjectType: 'deployment',
      subjectId: change.model.name,
      before: before === null ? null : { revision: before.id, ...specOf(before) },
      after: {
        revision: appended.id,
        ...revision.spec,
        cause: revision.cause,
        reason: revision.reason,
        restoredFromRevision: appended.restoredFromRevisionId,
        ...details,
      },
    });
  }
}
