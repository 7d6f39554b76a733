import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  type Relation,
} from 'typeorm';
import { type AnalysisAction, type AnalysisMeasurement } from '../canary-analysis-contract';
import { bigintAsString, numericAsNumber } from './column-transformers';
import { CanaryAnalysisEntity } from './canary-analysis.entity';
import { DeploymentRevisionEntity } from './deployment-revision.entity';

export const ANALYSIS_ACTIONS: readonly AnalysisAction[] = ['step', 'pause', 'promote', 'rollback'];

/** One judgement of an analysis, append-only (a trigger refuses updates and deletes). */
@Entity({ name: 'analysis_decisions' })
@Check(
  'ck_analysis_decisions_action',
  `"action" IN (${ANALYSIS_ACTIONS.map((action) => `'${action}'`).join(', ')})`,
)
@Index('ix_analysis_decisions_analysis_id', ['analysisId'])
export class AnalysisDecisionEntity {
  @PrimaryColumn({
    type: 'bigint',
    generatedIdentity: 'ALWAYS',
    generated: 'identity',
    primaryKeyConstraintName: 'pk_analysis_decisions',
    transformer: bigintAsString,
  })
  id!: string;

  @ManyToOne(() => CanaryAnalysisEntity, { nullable: false })
  @JoinColumn({
    name: 'analysis_id',
    foreignKeyConstraintName: 'fk_analysis_decisions_analysis_id',
  })
  analysis?: Relation<CanaryAnalysisEntity>;

  @Column({ name: 'analysis_id', type: 'uuid' })
  analysisId!: string;

  /** 1, 2, ... within its analysis. */
  @Column({ type: 'integer' })
  iteration!: number;

  @Column({ type: 'text' })
  action!: AnalysisAction;

  @Column({ type: 'text' })
  reason!: string;

  @Column({ name: 'canary_weight_percent', type: 'numeric', transformer: numericAsNumber })
  canaryWeightPercent!: number;

  @Column({ type: 'jsonb' })
  measurements!: AnalysisMeasurement[];

  /** The revision the decision made, when it changed routing. */
  @ManyToOne(() => DeploymentRevisionEntity, { nullable: true })
  @JoinColumn({
    name: 'revision_id',
    foreignKeyConstraintName: 'fk_analysis_decisions_revision_id',
  })
  revision?: Relation<DeploymentRevisionEntity> | null;

  @Column({ name: 'revision_id', type: 'bigint', nullable: true, transformer: bigintAsString })
  revisionId!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
