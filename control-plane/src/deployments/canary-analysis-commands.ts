import { Injectable } from '@nestjs/common';
import { type Actor } from '../audit/actor';
import { AuditService } from '../audit/audit.service';
import { ControlPlaneFailure } from '../errors/control-plane-error';
import { checkModelName } from '../registry/registration/register-command-checks';
import { countersAfter, finishAnalysis, promotedSpec, withCanaryWeight } from './analysis-progress';
import { analysisSpecOf, checkAnalysisSpec } from './analysis-spec-checks';
import {
  type AnalysisDecisionInput,
  type AnalysisSpec,
  type RunningAnalysis,
} from './canary-analysis-contract';
import { checkDecision } from './decision-checks';
import {
  DeploymentChanges,
  type DeploymentState,
  requireActive,
  stateOf,
} from './deployment-changes';
import { DeploymentReads } from './deployment-reads.service';
import { sameSpec, specOf } from './deployment-spec';
import { checkReason, refuse } from './deployment-spec-checks';
import { AnalysisDecisionEntity } from './entities/analysis-decision.entity';
import { type AnalysisState, CanaryAnalysisEntity } from './entities/canary-analysis.entity';
import { RevisionSteps } from './revision-steps';
import { CANARY_ANALYSIS_ACTOR } from './system-actors';

export interface AnalysisChange extends DeploymentState {
  analysis: CanaryAnalysisEntity;
}

/** What recordAnalysisDecision did: the judgement's number and the revision it made, if any. */
export interface RecordedDecision {
  iteration: number;
  revisionId: string | null;
  state: AnalysisState;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Canary analyses' side of deployments: starting and aborting one, and applying the judgements
 * the canary-analysis module makes (DeploymentsService exposes them).
 */
@Injectable()
export class CanaryAnalysisCommands {
  constructor(
    private readonly changes: DeploymentChanges,
    private readonly reads: DeploymentReads,
    private readonly steps: RevisionSteps,
    private readonly audit: AuditService,
  ) {}

  /** Starts judging the active canary; its weight starts at the spec's step. */
  async start(actor: Actor, model: string, spec: AnalysisSpec): Promise<AnalysisChange> {
    checkModelName(model, 'model');
    checkAnalysisSpec(spec);
    return this.changes.change(actor, model, async (change) => {
      const active = requireActive(change);
      if (active.canaryVersion === null) {
        throw refuse('model', `the deployment of ${model} has no canary to analyse; set one first`);
      }
      if (change.runningAnalysis !== null) {
        throw new ControlPlaneFailure(
          'CONFLICT',
          `a canary analysis (${change.runningAnalysis.id}) is already running for ${model}`,
          { argument: 'model' },
        );
      }
      const analyses = change.manager.getRepository(CanaryAnalysisEntity);
      const analysis = await analyses.save(
        analyses.create({
          deploymentId: active.deploymentId,
          spec: analysisSpecOf(spec),
          state: 'running',
          canaryVersion: active.canaryVersion,
          startedBy: actor.subject,
        }),
      );
      await this.steps.append(
        change,
        'canary-analysis.start',
        {
          spec: withCanaryWeight(specOf(active), active.canaryVersion, spec.stepWeightPercent),
          cause: 'analysis-step',
          reason: `canary analysis ${analysis.id} started`,
        },
        { analysisId: analysis.id, analysis: spec },
      );
      return { ...stateOf(change), analysis: await analyses.findOneByOrFail({ id: analysis.id }) };
    });
  }

  /** Ends the running analysis by hand; the canary keeps its place with no traffic. */
  async abort(actor: Actor, model: string, reason: string): Promise<AnalysisChange> {
    checkModelName(model, 'model');
    checkReason(reason);
    return this.changes.change(actor, model, async (change) => {
      const analysis = change.runningAnalysis;
      const active = requireActive(change);
      if (analysis === null) {
        throw refuse('model', `no canary analysis is running for ${model}`);
      }
      await finishAnalysis(change.manager, analysis, 'aborted', reason);
      // Appended even when the weight is 0 already: the new revision drops the comparison shadow.
      await this.steps.append(
        change,
        'canary-analysis.abort',
        {
          spec: withCanaryWeight(specOf(active), analysis.canaryVersion, 0),
          cause: 'analysis-abort',
          reason,
        },
        { analysisId: analysis.id },
      );
      return { ...stateOf(change), analysis };
    });
  }

  running(): Promise<RunningAnalysis[]> {
    return this.changes.serially(() => this.reads.runningAnalyses());
  }

  /**
   * Records a judgement of a running analysis and applies it: `step` sets the canary's weight,
   * `promote` and `rollback` end the analysis as promoteCanary and rollbackDeployment would,
   * `pause` changes no routing. Null, and nothing recorded, when the analysis is no longer running.
   */
  async recordDecision(
    analysisId: string,
    decision: AnalysisDecisionInput,
  ): Promise<RecordedDecision | null> {
    if (!UUID.test(analysisId)) throw refuse('analysisId', 'analysisId is not an analysis id');
    checkDecision(decision);
    const model = await this.reads.modelOfAnalysis(analysisId);
    if (model === null) {
      throw new ControlPlaneFailure('NOT_FOUND', `there is no canary analysis ${analysisId}`, {
        argument: 'analysisId',
      });
    }
    return this.changes.change(CANARY_ANALYSIS_ACTOR, model, async (change) => {
      const analysis = change.runningAnalysis;
      const active = change.active;
      if (analysis?.id !== analysisId || active === null) return null;
      const weightJudged = active.canaryWeightPercent;
      const after = { analysisId, action: decision.action, reason: decision.reason };
      if (decision.action === 'step') {
        const spec = withCanaryWeight(
          specOf(active),
          analysis.canaryVersion,
          decision.canaryWeightPercent,
        );
        if (!sameSpec(spec, specOf(active))) {
          await this.steps.append(
            change,
            'canary-analysis.step',
            {
              spec,
              cause: 'analysis-step',
              reason: decision.reason,
            },
            after,
          );
        }
      } else if (decision.action === 'promote') {
        await finishAnalysis(change.manager, analysis, 'promoted', decision.reason);
        await this.steps.append(
          change,
          'canary-analysis.promote',
          {
            spec: promotedSpec(specOf(active), analysis.canaryVersion),
            cause: 'analysis-promote',
            reason: decision.reason,
          },
          after,
        );
      } else if (decision.action === 'rollback') {
        await this.steps.rollBack(
          change,
          decision.reason,
          'analysis-rollback',
          'canary-analysis.rollback',
          after,
        );
      }
      const counters = countersAfter(analysis, decision, weightJudged);
      await change.manager
        .getRepository(CanaryAnalysisEntity)
        .update({ id: analysis.id }, { ...counters, lastDecisionAt: new Date() });
      const decisions = change.manager.getRepository(AnalysisDecisionEntity);
      await decisions.save(
        decisions.create({
          analysisId,
          iteration: counters.iterations,
          action: decision.action,
          reason: decision.reason,
          canaryWeightPercent: decision.canaryWeightPercent,
          measurements: decision.measurements,
          revisionId: change.appended?.id ?? null,
        }),
      );
      if (change.appended === null) {
        await this.audit.record(change.manager, change.actor, {
          action: `canary-analysis.${decision.action}`,
          subjectType: 'deployment',
          subjectId: change.model.name,
          after: { ...after, iteration: counters.iterations },
        });
      }
      return {
        iteration: counters.iterations,
        revisionId: change.appended?.id ?? null,
        state: analysis.state,
      };
    });
  }
}
