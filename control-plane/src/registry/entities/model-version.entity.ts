import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Unique,
  type Relation,
} from 'typeorm';
import { type KServeDatatype } from '@contracts/kserve/datatype';
import { MlflowRunEntity } from '../../lineage/entities/mlflow-run.entity';
import { ModelEntity } from './model.entity';

/** How a version entered the registry. */
export type ModelVersionSource = 'repository-scan' | 'mlflow' | 'upload';

/**
 * `registered`: row and artifact stored; `validating`: being loaded and warmed up; `ready`: it
 * answered a warm-up inference; `failed`: it did not (see the reason); `archived`: retired by hand.
 */
export const MODEL_VERSION_STATUSES = [
  'registered',
  'validating',
  'ready',
  'failed',
  'archived',
] as const;
export type ModelVersionStatus = (typeof MODEL_VERSION_STATUSES)[number];

/** How a version relates to the version it was made from. */
export const PARENT_RELATIONS = ['fine-tuned', 'converted', 'quantised', 'retrained'] as const;
export type ParentRelation = (typeof PARENT_RELATIONS)[number];

/** A tensor of a version's signature. */
export interface StoredTensorSpec {
  name: string;
  datatype: KServeDatatype;
  dims: number[];
}

const bigintAsNumber = {
  to: (value: number): number => value,
  // pg returns int8 as a string to avoid precision loss; artifact sizes stay far below 2^53.
  from: (value: string | number): number => Number(value),
};

/**
 * One version: write-once (a trigger refuses changes to everything but status, card, description,
 * tags, served and drift; see the ModelLifecycle migration), so an id always means the same bytes.
 */
@Entity({ name: 'model_versions' })
@Unique('uq_model_versions_model_id_version', ['model', 'version'])
@Check(
  'ck_model_versions_status',
  `"status" IN ('registered', 'validating', 'ready', 'failed', 'archived')`,
)
@Check(
  'ck_model_versions_parent_relation',
  `"parent_relation" IN ('fine-tuned', 'converted', 'quantised', 'retrained')`,
)
@Index('ix_model_versions_parent_version_id', ['parentVersion'])
export class ModelVersionEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_model_versions' })
  id!: string;

  @ManyToOne(() => ModelEntity, (model) => model.versions, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'model_id', foreignKeyConstraintName: 'fk_model_versions_model_id' })
  model?: Relation<ModelEntity>;

  @Column({ name: 'model_id', type: 'uuid' })
  modelId!: string;

  /** Triton version folder name, e.g. "1". */
  @Column({ type: 'text' })
  version!: string;

  /** Where the repository holds it, relative to its root; null while it is only in the artifact store. */
  @Column({ name: 'artifact_path', type: 'text', nullable: true })
  artifactPath!: string | null;

  /** The file's name inside a version folder, e.g. `model.onnx`. */
  @Column({ name: 'artifact_filename', type: 'text' })
  artifactFilename!: string;

  @Column({ name: 'artifact_sha256', type: 'char', length: 64 })
  artifactSha256!: string;

  @Column({ name: 'artifact_size_bytes', type: 'bigint', transformer: bigintAsNumber })
  artifactSizeBytes!: number;

  /** config.pbtxt this version was registered with. */
  @Column({ name: 'config_text', type: 'text' })
  configText!: string;

  @Column({ type: 'text' })
  platform!: string;

  @Column({ type: 'text' })
  backend!: string;

  @Column({ name: 'max_batch_size', type: 'integer' })
  maxBatchSize!: number;

  @Column({ type: 'jsonb' })
  inputs!: StoredTensorSpec[];

  @Column({ type: 'jsonb' })
  outputs!: StoredTensorSpec[];

  @Column({ type: 'jsonb', nullable: true })
  labels!: string[] | null;

  /** Whether the repository's version policy serves it. */
  @Column({ type: 'boolean' })
  served!: boolean;

  @Column({ type: 'text' })
  source!: ModelVersionSource;

  @Column({ type: 'text', default: 'ready' })
  status!: ModelVersionStatus;

  @Column({ name: 'status_reason', type: 'text', nullable: true })
  statusReason!: string | null;

  @Column({ name: 'status_changed_at', type: 'timestamptz', default: () => 'now()' })
  statusChangedAt!: Date;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  /** Markdown. */
  @Column({ name: 'model_card', type: 'text', nullable: true })
  modelCard!: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  tags!: Record<string, string>;

  /** Set when the repository's file no longer has the registered bytes (changed in place). */
  @Column({ name: 'drifted_sha256', type: 'char', length: 64, nullable: true })
  driftedSha256!: string | null;

  @ManyToOne(() => ModelVersionEntity, { nullable: true })
  @JoinColumn({
    name: 'parent_version_id',
    foreignKeyConstraintName: 'fk_model_versions_parent_version_id',
  })
  parentVersion?: Relation<ModelVersionEntity> | null;

  @Column({ name: 'parent_version_id', type: 'uuid', nullable: true })
  parentVersionId!: string | null;

  @Column({ name: 'parent_relation', type: 'text', nullable: true })
  parentRelation!: ParentRelation | null;

  /** e.g. a git commit of the training code. */
  @Column({ name: 'code_revision', type: 'text', nullable: true })
  codeRevision!: string | null;

  @ManyToOne(() => MlflowRunEntity, { nullable: true })
  @JoinColumn({
    name: 'mlflow_run_id',
    foreignKeyConstraintName: 'fk_model_versions_mlflow_run_id',
  })
  mlflowRun?: Relation<MlflowRunEntity> | null;

  @Column({ name: 'mlflow_run_id', type: 'text', nullable: true })
  mlflowRunId!: string | null;

  /** Subject of the caller that registered it; null for versions found by the repository scan. */
  @Column({ name: 'registered_by', type: 'text', nullable: true })
  registeredBy!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
