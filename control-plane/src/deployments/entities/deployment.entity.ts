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
import { ModelEntity } from '../../registry/entities/model.entity';
import { bigintAsString } from './column-transformers';
import { DeploymentRevisionEntity } from './deployment-revision.entity';

/**
 * How one model name is served: a pointer to its active revision. Every change appends a revision
 * (deployment_revisions is append-only); only the pointer moves.
 */
@Entity({ name: 'deployments' })
@Unique('uq_deployments_model_id', ['modelId'])
@Unique('uq_deployments_model_name', ['modelName'])
export class DeploymentEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_deployments' })
  id!: string;

  @ManyToOne(() => ModelEntity, { nullable: false })
  @JoinColumn({ name: 'model_id', foreignKeyConstraintName: 'fk_deployments_model_id' })
  model?: Relation<ModelEntity>;

  @Column({ name: 'model_id', type: 'uuid' })
  modelId!: string;

  /** The name calls are routed by; a model's name never changes, so it is kept here for routing. */
  @Column({ name: 'model_name', type: 'text' })
  modelName!: string;

  /** Null only inside the transaction that creates the deployment, before its first revision. */
  @ManyToOne(() => DeploymentRevisionEntity, { nullable: true })
  @JoinColumn({
    name: 'active_revision_id',
    foreignKeyConstraintName: 'fk_deployments_active_revision_id',
  })
  activeRevision?: Relation<DeploymentRevisionEntity> | null;

  @Column({
    name: 'active_revision_id',
    type: 'bigint',
    nullable: true,
    transformer: bigintAsString,
  })
  activeRevisionId!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
