import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';

/** A dataset version: the same name with another digest is another version. */
@Entity({ name: 'datasets' })
@Unique('uq_datasets_name_digest', ['name', 'digest'])
export class DatasetEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_datasets' })
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  digest!: string;

  /** Where it lives, e.g. an s3:// URI or a path. */
  @Column({ type: 'text', nullable: true })
  source!: string | null;

  @Column({ name: 'source_type', type: 'text', nullable: true })
  sourceType!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
