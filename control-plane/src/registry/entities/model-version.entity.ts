import {
  Column,
  CreateDateColumn,
  Entity,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Unique,
  type Relation,
} from 'typeorm';
import { ModelEntity } from './model.entity';

/** How a version entered the registry; later sources (uploads, MLflow) extend this. */
export type ModelVersionSource = 'repository-scan';

const bigintAsNumber = {
  to: (value: number): number => value,
  // pg returns int8 as a string to avoid precision loss; artifact sizes stay far below 2^53.
  from: (value: string | number): number => Number(value),
};

@Entity({ name: 'model_versions' })
@Unique('uq_model_versions_model_id_version', ['model', 'version'])
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

  /** Model file path relative to the model repository root. */
  @Column({ name: 'artifact_path', type: 'text' })
  artifactPath!: string;

  @Column({ name: 'artifact_sha256', type: 'char', length: 64 })
  artifactSha256!: string;

  @Column({ name: 'artifact_size_bytes', type: 'bigint', transformer: bigintAsNumber })
  artifactSizeBytes!: number;

  @Column({ name: 'config_text', type: 'text' })
  configText!: string;

  @Column({ type: 'boolean' })
  served!: boolean;

  @Column({ type: 'text' })
  source!: ModelVersionSource;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
