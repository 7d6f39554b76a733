import { Field, Float, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { connectionType } from '../../graphql/relay-connection';

export enum RevisionCauseValue {
  create = 'create',
  update = 'update',
  rollback = 'rollback',
  restore = 'restore',
  promote = 'promote',
  analysis_step = 'analysis-step',
  analysis_promote = 'analysis-promote',
  analysis_rollback = 'analysis-rollback',
  analysis_abort = 'analysis-abort',
}
registerEnumType(RevisionCauseValue, {
  name: 'RevisionCause',
  description: 'Why a revision was made.',
});

@ObjectType('CanaryRoute')
export class CanaryRouteObject {
  @Field()
  version!: string;

  @Field(() => Float, { description: 'Share of calls the canary serves, 0-100.' })
  weightPercent!: number;
}

@ObjectType('ShadowRoute', {
  description:
    'A version that sees a copy of a sample of the calls; its answers are never returned.',
})
export class ShadowRouteObject {
  @Field()
  version!: string;

  @Field(() => Float, { description: 'Share of calls copied to it, 0-100.' })
  samplePercent!: number;
}

@ObjectType('TenantOverride', { description: 'A tenant pinned to one version.' })
export class TenantOverrideObject {
  @Field()
  tenant!: string;

  @Field()
  version!: string;
}

@ObjectType('DeploymentRevision', {
  description: 'One state of a deployment; revisions are never changed, only appended.',
})
export class DeploymentRevisionObject {
  @Field({
    description:
      'The global routing revision (grows with every change to any deployment): a 64-bit integer as a decimal string.',
  })
  revision!: string;

  @Field(() => Int, { description: '1, 2, ... within this deployment.' })
  number!: number;

  @Field()
  stableVersion!: string;

  @Field(() => CanaryRouteObject, { nullable: true })
  canary!: CanaryRouteObject | null;

  @Field(() => [ShadowRouteObject])
  shadows!: ShadowRouteObject[];

  @Field({ description: '"" (each call chosen afresh), "tenant" or "header:<name>".' })
  stickyKey!: string;

  @Field(() => [TenantOverrideObject])
  tenantOverrides!: TenantOverrideObject[];

  @Field(() => RevisionCauseValue)
  cause!: RevisionCauseValue;

  @Field(() => String, { nullable: true })
  reason!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'The revision a rollback or restore copied.',
  })
  restoredFromRevision!: string | null;

  @Field({ description: 'Who made it: `key:<id>`, `jwt:<sub>` or `system:…`.' })
  actor!: string;

  @Field()
  createdAt!: Date;
}

export const DeploymentRevisionConnection = connectionType(
  DeploymentRevisionObject,
  'DeploymentRevision',
);

@ObjectType('Deployment', {
  description: 'How calls to one model name are routed: its active revision and their history.',
})
export class DeploymentObject {
  id!: string;

  activeRevisionId!: string;

  @Field({ description: 'The model name calls are routed by.' })
  model!: string;

  @Field()
  createdAt!: Date;
}

export const DeploymentConnection = connectionType(DeploymentObject, 'Deployment');
