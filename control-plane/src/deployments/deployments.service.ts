import { Injectable } from '@nestjs/common';
import { type Actor } from '../audit/actor';
import { checkModelName } from '../registry/registration/register-command-checks';
import { promotedSpec } from './analysis-progress';
import {
  type AnalysisChange,
  CanaryAnalysisCommands,
  type RecordedDecision,
} from './canary-analysis-commands';
import {
  type AnalysisDecisionInput,
  type AnalysisSpec,
  type RunningAnalysis,
} from './canary-analysis-contract';
import {
  DeploymentChanges,
  type DeploymentState,
  requireActive,
  stateOf,
} from './deployment-changes';
import { DeploymentReads } from './deployment-reads.service';
import { type DeploymentSpec, sameSpec, specOf } from './deployment-spec';
import { checkDeploymentSpec, checkReason, refuse } from './deployment-spec-checks';
import { RevisionSteps } from './revision-steps';

export type { AnalysisChange, DeploymentState, RecordedDecision };

export interface SetDeploymentInput {
  model: string;
  spec: DeploymentSpec;
  reason?: string | null;
}

const REVISION_ID = /^[1-9]\d{0,18}$/;

/**
 * Deployment commands. Each runs in one transaction with its model's row locked, appends at most
 * one revision (history is never rewritten; rollback and restore copy an earlier revision) and is
 * audited in the same transaction.
 */
@Injectable()
export class DeploymentsService {
  constructor(
    private readonly changes: DeploymentChanges,
    private readonly reads: DeploymentReads,
    private readonly steps: RevisionSteps,
    private readonly analyses: CanaryAnalysisCommands,
  ) {}

  /** Creates or updates a deployment with a whole spec; an identical spec changes nothing. */
  async setDeployment(actor: Actor, input: SetDeploymentInput): Promise<DeploymentState> {
    checkModelName(input.model, 'model');
    checkDeploymentSpec(input.spec);
    checkReason(input.reason ?? null);
    return this.changes.change(actor, input.model, async (change) => {
      if (change.active !== null && sameSpec(specOf(change.active), input.spec)) {
        return stateOf(change);
      }
      await this.steps.append(change, 'deployment.set', {
        spec: input.spec,
        cause: change.active === null ? 'create' : 'update',
        reason: input.reason ?? null,
      });
      return stateOf(change);
    });
  }

  /** Back to the previous stable revision at once; a running analysis ends as rolled back. */
  async rollbackDeployment(
    actor: Actor,
    input: { model: string; reason: string },
  ): Promise<DeploymentState> {
    checkModelName(input.model, 'model');
    checkReason(input.reason);
    return this.changes.change(actor, input.model, async (change) => {
      await this.steps.rollBack(change, input.reason, 'rollback', 'deployment.rollback');
      return stateOf(change);
    });
  }

  /** Makes a copy of an earlier revision of the deployment its newest. */
  async restoreDeploymentRevision(
    actor: Actor,
    input: { model: string; revision: string; reason?: string | null },
  ): Promise<DeploymentState> {
    checkModelName(input.model, 'model');
    checkReason(input.reason ?? null);
    if (!REVISION_ID.test(input.revision)) {
      throw refuse(
        'revision',
        `revision ${JSON.stringify(input.revision.slice(0, 32))} is not a revision id`,
      );
    }
    return this.changes.change(actor, input.model, async (change) => {
      const active = requireActive(change);
      const target = await this.reads.revisionOf(
        change.manager,
        active.deploymentId,
        input.revision,
      );
      if (target === null) {
        throw refuse(
          'revision',
          `revision ${input.revision} is not a revision of the deployment of ${input.model}`,
        );
      }
      if (!sameSpec(specOf(target), specOf(active))) {
        await this.steps.append(change, 'deployment.restore', {
          spec: specOf(target),
          cause: 'restore',
          reason: input.reason ?? null,
          restoredFromRevisionId: target.id,
        });
      }
      return stateOf(change);
    });
  }

  /** The canary becomes stable; a running analysis ends as promoted. */
  async promoteCanary(
    actor: Actor,
    input: { model: string; reason?: string | null },
  ): Promise<DeploymentState> {
    checkModelName(input.model, 'model');
    checkReason(input.reason ?? null);
    return this.changes.change(actor, input.model, async (change) => {
      const active = requireActive(change);
      if (active.canaryVersion === null) {
        throw refuse('model', `the deployment of ${input.model} has no canary to promote`);
      }
      const reason = input.reason ?? `promoted by ${actor.subject}`;
      await this.steps.endAnalysis(change, 'promoted', reason);
      await this.steps.append(change, 'deployment.promote', {
        spec: promotedSpec(specOf(active), active.canaryVersion),
        cause: 'promote',
        reason,
      });
      return stateOf(change);
    });
  }

  /** Starts judging the active canary; its weight starts at the spec's step. */
  startAnalysis(actor: Actor, model: string, spec: AnalysisSpec): Promise<AnalysisChange> {
    return this.analyses.start(actor, model, spec);
  }

  /** Ends the running analysis by hand; the canary keeps its place with no traffic. */
  abortAnalysis(actor: Actor, model: string, reason: string): Promise<AnalysisChange> {
    return this.analyses.abort(actor, model, reason);
  }

  runningAnalyses(): Promise<RunningAnalysis[]> {
    return this.analyses.running();
  }

  /**
   * Records a judgement of a running analysis and applies it (see CanaryAnalysisCommands); null,
   * and nothing recorded, when the analysis is no longer running.
   */
  recordAnalysisDecision(
    analysisId: string,
    decision: AnalysisDecisionInput,
  ): Promise<RecordedDecision | null> {
    return this.analyses.recordDecision(analysisId, decision);
  }
}
