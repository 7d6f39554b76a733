import {
  Column,
  Entity,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  UpdateDateColumn,
  type Relation,
} from 'typeorm';
import { ModelVersionEntity } from './model-version.entity';
import { ModelEntity } from './model.entity';

/** MLflow-style alias: one name of a model points at one of its versions. */
@Entity({ name: 'model_aliases' })
export class ModelAliasEntity {
  @PrimaryColumn({ name: 'model_id', type: 'uuid', primaryKeyConstraintName: 'pk_model_aliases' })
  modelId!: string;

  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'pk_model_aliases' })
  alias!: string;

  @ManyToOne(() => ModelEntity, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'model_id', foreignKeyConstraintName: 'fk_model_aliases_model_id' })
  model?: Relation<ModelEntity>;

  @ManyToOne(() => ModelVersionEntity, { nullable: false })
  @JoinColumn({ name: 'version_id', foreignKeyConstraintName: 'fk_model_aliases_version_id' })
  version?: Relation<ModelVersionEntity>;

  @Column({ name: 'version_id', type: 'uuid' })
  versionId!: string;

  @Column({ name: 'updated_by', type: 'text' })
  updatedBy!: string;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
