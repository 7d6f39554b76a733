import { Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { ModelVersionEntity } from '../../registry/entities/model-version.entity';
import { DatasetEntity } from './dataset.entity';

/** A dataset a version was trained, validated or tested on (`context`). */
@Entity({ name: 'model_version_datasets' })
@Index('ix_model_version_datasets_dataset_id', ['datasetId'])
export class ModelVersionDatasetEntity {
  @PrimaryColumn({
    name: 'version_id',
    type: 'uuid',
    primaryKeyConstraintName: 'pk_model_version_datasets',
  })
  versionId!: string;

  @PrimaryColumn({
    name: 'dataset_id',
    type: 'uuid',
    primaryKeyConstraintName: 'pk_model_version_datasets',
  })
  datasetId!: string;

  @PrimaryColumn({
    type: 'text',
    default: 'training',
    primaryKeyConstraintName: 'pk_model_version_datasets',
  })
  context!: string;

  @ManyToOne(() => ModelVersionEntity, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({
    name: 'version_id',
    foreignKeyConstraintName: 'fk_model_version_datasets_version_id',
  })
  version?: Relation<ModelVersionEntity>;

  @ManyToOne(() => DatasetEntity, { nullable: false })
  @JoinColumn({
    name: 'dataset_id',
    foreignKeyConstraintName: 'fk_model_version_datasets_dataset_id',
  })
  dataset?: Relation<DatasetEntity>;
}
