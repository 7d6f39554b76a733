import {
  Column,
  CreateDateColumn,
  Entity,
  OneToMany,
  PrimaryGeneratedColumn,
  Unique,
  UpdateDateColumn,
} from 'typeorm';
import { type KServeDatatype } from '@contracts/kserve/datatype';
import { ModelVersionEntity } from './model-version.entity';

/** A tensor as stored in `models.inputs` / `models.outputs`. */
export interface StoredTensorSpec {
  name: string;
  datatype: KServeDatatype;
  dims: number[];
}

// Constraint names are explicit so the hand-written migrations can match them exactly.
@Entity({ name: 'models' })
@Unique('uq_models_name', ['name'])
export class ModelEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_models' })
  id!: string;

  @Column({ type: 'text' })
  name!: string;

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

  @OneToMany(() => ModelVersionEntity, (version) => version.model)
  versions?: ModelVersionEntity[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
