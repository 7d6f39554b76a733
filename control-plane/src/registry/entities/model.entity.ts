import {
  Column,
  CreateDateColumn,
  Entity,
  OneToMany,
  PrimaryGeneratedColumn,
  Unique,
  UpdateDateColumn,
} from 'typeorm';
import { ModelVersionEntity } from './model-version.entity';

// Constraint names are explicit so the hand-written migrations can match them exactly.
/** A model's identity; what it computes lives on its write-once versions. */
@Entity({ name: 'models' })
@Unique('uq_models_name', ['name'])
export class ModelEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_models' })
  id!: string;

  /** The model's folder name in the Triton model repository. */
  @Column({ type: 'text' })
  name!: string;

  /** What the model does, e.g. `object-detection`. */
  @Column({ type: 'text', default: 'object-detection' })
  task!: string;

  @Column({ type: 'text', nullable: true })
  owner!: string | null;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @OneToMany(() => ModelVersionEntity, (version) => version.model)
  versions?: ModelVersionEntity[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
