import {
  Check,
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  type Relation,
} from 'typeorm';
import { type AnalysisSpec } from '../canary-analysis-contract';
import { DeploymentEntity } from './deployment.entity';

export const ANALYSIS_STATES = ['running', 'promoted', 'rolled_back', 'aborted'] as const;
export type AnalysisState = (typeof ANALYSIS_STATES)[number];

/** One automated canary analysis of a deployment; at most one runs per deployment (an index says so). */
@Entity({ name: 'canary_analyses' })
@Check(
  'ck_canary_analyses_state',
  `"state" IN (${ANALYSIS_STATES.map((state) => `'${state}'`).join(', ')})`,
)
@Index('uq_canary_analyses_running_deployment_id', ['deploymentId'], {
  unique: true,
  where: `"state" = 'running'`,
})
@Index('ix_canary_analyses_deployment_id_started_at', ['deploymentId', 'startedAt'])
export class CanaryAnalysisEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_canary_analyses' })
  id!: string;

  @ManyToOne(() => DeploymentEntity, { nullable: false })
  @JoinColumn({
    name: 'deployment_id',
    foreignKeyConstraintName: 'fk_canary_analyses_deployment_id',
  })
  deployment?: Relation<DeploymentEntity>;

  @Column({ name: 'deployment_id', type: 'uuid' })
  deploymentId!: string;

  @Column({ type: 'jsonb' })
  spec!: AnalysisSpec;

  @Column({ type: 'text', default: 'running' })
  state!: AnalysisState;

  @Column({ name: 'canary_version', type: 'text' })
  canaryVersion!: string;

  @Column({ name: 'started_by', type: 'text' })
  startedBy!: string;

  @Column({ name: 'started_at', type: 'timestamptz', default: () => 'now()' })
  startedAt!: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;

  @Column({ name: 'outcome_reason', type: 'text', nullable: true })
  outcomeReason!: string | null;

  /** Judgements recorded. */
  @Column({ type: 'integer', default: 0 })
  iterations!: number;

  /** Judgements in which a check failed. */
  @Column({ type: 'integer', default: 0 })
  failures!: number;

  /** Judgements without a failed check, made of an interval the canary served at maxWeightPercent. */
  @Column({ name: 'passes_at_max_weight', type: 'integer', default: 0 })
  passesAtMaxWeight!: number;

  @Column({ name: 'last_decision_at', type: 'timestamptz', nullable: true })
  lastDecisionAt!: Date | null;
}
