import { Field, Float, InputType, Int, ObjectType } from '@nestjs/graphql';
import { DEFAULT_ANALYSIS_SPEC } from '../analysis-spec-checks';
import { CanaryAnalysisObject } from './canary-analysis.object';
import { DeploymentObject } from './deployment.object';

@InputType('CanaryInput')
export class CanaryInput {
  @Field()
  version!: string;

  @Field(() => Float, { description: 'Share of calls the canary serves, 0-100.' })
  weightPercent!: number;
}

@InputType('ShadowInput')
export class ShadowInput {
  @Field()
  version!: string;

  @Field(() => Float, { description: 'Share of calls copied to it, 0-100.' })
  samplePercent!: number;
}

@InputType('TenantOverrideInput')
export class TenantOverrideInput {
  @Field()
  tenant!: string;

  @Field()
  version!: string;
}

@InputType('SetDeploymentInput', {
  description: 'The whole spec: what is left out is absent (no canary, no shadows, ...).',
})
export class SetDeploymentInput {
  @Field({ description: 'A registered model.' })
  model!: string;

  @Field({ description: 'A ready, served version.' })
  stableVersion!: string;

  @Field(() => CanaryInput, { nullable: true })
  canary?: CanaryInput | null;

  @Field(() => [ShadowInput], { nullable: true, description: 'At most 16.' })
  shadows?: ShadowInput[] | null;

  @Field(() => String, {
    nullable: true,
    description: '"" (default), "tenant" or "header:<lower-case header name>".',
  })
  stickyKey?: string | null;

  @Field(() => [TenantOverrideInput], { nullable: true, description: 'At most 64.' })
  tenantOverrides?: TenantOverrideInput[] | null;

  @Field(() => String, { nullable: true })
  reason?: string | null;
}

@InputType('RollbackDeploymentInput')
export class RollbackDeploymentInput {
  @Field()
  model!: string;

  @Field()
  reason!: string;
}

@InputType('RestoreDeploymentRevisionInput')
export class RestoreDeploymentRevisionInput {
  @Field()
  model!: string;

  @Field({ description: 'An earlier revision of this deployment.' })
  revision!: string;

  @Field(() => String, { nullable: true })
  reason?: string | null;
}

@InputType('PromoteCanaryInput')
export class PromoteCanaryInput {
  @Field()
  model!: string;

  @Field(() => String, { nullable: true })
  reason?: string | null;
}

const D = DEFAULT_ANALYSIS_SPEC;

@InputType('StartCanaryAnalysisInput', {
  description: 'Judges the active canary every interval; fields left out take the defaults shown.',
})
export class StartCanaryAnalysisInput {
  @Field()
  model!: string;

  @Field(() => Int, { defaultValue: D.intervalSeconds })
  intervalSeconds!: number;

  @Field(() => Float, { defaultValue: D.stepWeightPercent })
  stepWeightPercent!: number;

  @Field(() => Float, { defaultValue: D.maxWeightPercent })
  maxWeightPercent!: number;

  @Field(() => Int, { defaultValue: D.iterations })
  iterations!: number;

  @Field(() => Int, { defaultValue: D.failureLimit })
  failureLimit!: number;

  @Field(() => Int, { defaultValue: D.minCalls })
  minCalls!: number;

  @Field(() => Int, { defaultValue: D.minComparisons })
  minComparisons!: number;

  @Field(() => Float, { defaultValue: D.comparisonSamplePercent })
  comparisonSamplePercent!: number;

  @Field(() => Float, { defaultValue: D.maxErrorRateIncrease })
  maxErrorRateIncrease!: number;

  @Field(() => Float, { defaultValue: D.maxP99LatencyRatio })
  maxP99LatencyRatio!: number;

  @Field(() => Float, { defaultValue: D.minAgreementF1 })
  minAgreementF1!: number;

  @Field(() => Float, { defaultValue: D.maxScorePsi })
  maxScorePsi!: number;

  @Field(() => Float, { defaultValue: D.maxDetectionsPerImageChange })
  maxDetectionsPerImageChange!: number;
}

@InputType('AbortCanaryAnalysisInput')
export class AbortCanaryAnalysisInput {
  @Field()
  model!: string;

  @Field()
  reason!: string;
}

@ObjectType('DeploymentPayload')
export class DeploymentPayload {
  @Field(() => DeploymentObject)
  deployment!: DeploymentObject;
}

@ObjectType('CanaryAnalysisPayload')
export class CanaryAnalysisPayload {
  @Field(() => DeploymentObject)
  deployment!: DeploymentObject;

  @Field(() => CanaryAnalysisObject)
  analysis!: CanaryAnalysisObject;
}
