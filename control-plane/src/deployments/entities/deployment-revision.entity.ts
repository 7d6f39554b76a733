import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  Unique,
  type Relation,
} from 'typeorm';
import {
  REVISION_CAUSES,
  type RevisionCause,
  type ShadowSpec,
  type TenantOverrideSpec,
} from '../deployment-spec';
import { bigintAsString, numericAsNumber } from './column-transformers';
import { DeploymentEntity } from './deployment.entity';

/**
 * One state of a deployment, append-only (a trigger refuses updates and deletes). Its id is the
 * global routing revision: ids grow across all deployments, and revisions commit in id order (see
 * DeploymentChanges), so the newest id names the whole routing table.
 */
@Entity({ name: 'deployment_revisions' })
@Unique('uq_deployment_revisions_deployment_id_number', ['deploymentId', 'number'])
@Check(
  'ck_deployment_revisions_canary_weight_percent',
  `"canary_weight_percent" >= 0 AND "canary_weight_percent" <= 100 AND ("canary_version" IS NOT NULL OR "canary_weight_percent" = 0)`,
)
@Check(
  'ck_deployment_revisions_cause',
  `"cause" IN (${REVISION_CAUSES.map((cause) => `'${cause}'`).join(', ')})`,
)
export class DeploymentRevisionEntity {
  @PrimaryColumn({
    type: 'bigint',
    generatedIdentity: 'ALWAYS',
    generated: 'identity',
    primaryKeyConstraintName: 'pk_deployment_revisions',
    transformer: bigintAsString,
  })
  id!: string;

  @ManyToOne(() => DeploymentEntity, { nullable: false })
  @JoinColumn({
    name: 'deployment_id',
    foreignKeyConstraintName: 'fk_deployment_revisions_deployment_id',
  })
  deployment?: Relation<DeploymentEntity>;

  @Column({ name: 'deployment_id', type: 'uuid' })
  deploymentId!: string;

  /** 1, 2, ... within its deployment. */
  @Column({ type: 'integer' })
  number!: number;

  @Column({ name: 'stable_version', type: 'text' })
  stableVersion!: string;

  @Column({ name: 'canary_version', type: 'text', nullable: true })
  canaryVersion!: string | null;

  @Column({
    name: 'canary_weight_percent',
    type: 'numeric',
    default: 0,
    transformer: numericAsNumber,
  })
  canaryWeightPercent!: number;

  @Column({ type: 'jsonb', default: () => "'[]'" })
  shadows!: ShadowSpec[];

  /** '' | 'tenant' | 'header:<name>'. */
  @Column({ name: 'sticky_key', type: 'text', default: '' })
  stickyKey!: string;

  @Column({ name: 'tenant_overrides', type: 'jsonb', default: () => "'[]'" })
  tenantOverrides!: TenantOverrideSpec[];

  @Column({ type: 'text' })
  cause!: RevisionCause;

  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  @ManyToOne(() => DeploymentRevisionEntity, { nullable: true })
  @JoinColumn({
    name: 'restored_from_revision_id',
    foreignKeyConstraintName: 'fk_deployment_revisions_restored_from_revision_id',
  })
  restoredFromRevision?: Relation<DeploymentRevisionEntity> | null;

  @Column({
    name: 'restored_from_revision_id',
    type: 'bigint',
    nullable: true,
    transformer: bigintAsString,
  })
  restoredFromRevisionId!: string | null;

  @Column({ name: 'actor_subject', type: 'text' })
  actorSubject!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
