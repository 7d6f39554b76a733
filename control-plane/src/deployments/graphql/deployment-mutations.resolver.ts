import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { type Actor } from '../../audit/actor';
import { CurrentActor, RequireRole } from '../../auth';
import { type DeploymentSpec } from '../deployment-spec';
import {
  type AnalysisChange,
  type DeploymentState,
  DeploymentsService,
} from '../deployments.service';
import { toAnalysisObject, toDeploymentObject } from './deployment.mapper';
import {
  AbortCanaryAnalysisInput,
  CanaryAnalysisPayload,
  DeploymentPayload,
  PromoteCanaryInput,
  RestoreDeploymentRevisionInput,
  RollbackDeploymentInput,
  SetDeploymentInput,
  StartCanaryAnalysisInput,
} from './deployment-mutations.types';

/** Deployment commands: thin, each one service call with the caller as the audited actor. */
@Resolver()
@RequireRole('operator')
export class DeploymentMutationsResolver {
  constructor(private readonly deployments: DeploymentsService) {}

  @Mutation(() => DeploymentPayload, {
    description:
      'Creates or changes a deployment (a new revision; an identical spec changes nothing).',
  })
  async setDeployment(
    @Args('input') input: SetDeploymentInput,
    @CurrentActor() actor: Actor,
  ): Promise<DeploymentPayload> {
    return payload(
      await this.deployments.setDeployment(actor, {
        model: input.model,
        spec: specOf(input),
        reason: input.reason ?? null,
      }),
    );
  }

  @Mutation(() => DeploymentPayload, {
    description:
      'Returns at once to the previous stable revision (the newest earlier one without a canary that routes differently).',
  })
  async rollbackDeployment(
    @Args('input') input: RollbackDeploymentInput,
    @CurrentActor() actor: Actor,
  ): Promise<DeploymentPayload> {
    return payload(await this.deployments.rollbackDeployment(actor, input));
  }

  @Mutation(() => DeploymentPayload, {
    description: 'Copies an earlier revision of the deployment into a new one.',
  })
  async restoreDeploymentRevision(
    @Args('input') input: RestoreDeploymentRevisionInput,
    @CurrentActor() actor: Actor,
  ): Promise<DeploymentPayload> {
    return payload(await this.deployments.restoreDeploymentRevision(actor, input));
  }

  @Mutation(() => DeploymentPayload, { description: 'Makes the canary the stable version.' })
  async promoteCanary(
    @Args('input') input: PromoteCanaryInput,
    @CurrentActor() actor: Actor,
  ): Promise<DeploymentPayload> {
    return payload(await this.deployments.promoteCanary(actor, input));
  }

  @Mutation(() => CanaryAnalysisPayload, {
    description: "Starts an automated analysis of the deployment's canary.",
  })
  async startCanaryAnalysis(
    @Args('input') input: StartCanaryAnalysisInput,
    @CurrentActor() actor: Actor,
  ): Promise<CanaryAnalysisPayload> {
    const { model, ...spec } = input;
    return analysisPayload(await this.deployments.startAnalysis(actor, model, spec));
  }

  @Mutation(() => CanaryAnalysisPayload, {
    description: 'Stops the running analysis; the canary keeps its place with no traffic.',
  })
  async abortCanaryAnalysis(
    @Args('input') input: AbortCanaryAnalysisInput,
    @CurrentActor() actor: Actor,
  ): Promise<CanaryAnalysisPayload> {
    return analysisPayload(await this.deployments.abortAnalysis(actor, input.model, input.reason));
  }
}

function specOf(input: SetDeploymentInput): DeploymentSpec {
  return {
    stableVersion: input.stableVersion,
    canary:
      input.canary == null
        ? null
        : { version: input.canary.version, weightPercent: input.canary.weightPercent },
    shadows: (input.shadows ?? []).map(({ version, samplePercent }) => ({
      version,
      samplePercent,
    })),
    stickyKey: input.stickyKey ?? '',
    tenantOverrides: (input.tenantOverrides ?? []).map(({ tenant, version }) => ({
      tenant,
      version,
    })),
  };
}

function payload(state: DeploymentState): DeploymentPayload {
  return { deployment: toDeploymentObject(state.deployment) };
}

function analysisPayload(change: AnalysisChange): CanaryAnalysisPayload {
  return { ...payload(change), analysis: toAnalysisObject(change.analysis) };
}
