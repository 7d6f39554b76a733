import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** The MLflow run a version came from, as it was when the version was registered. */
@Entity({ name: 'mlflow_runs' })
export class MlflowRunEntity {
  @PrimaryColumn({ name: 'run_id', type: 'text', primaryKeyConstraintName: 'pk_mlflow_runs' })
  runId!: string;

  @Column({ name: 'tracking_uri', type: 'text' })
  trackingUri!: string;

  @Column({ name: 'experiment_id', type: 'text' })
  experimentId!: string;

  @Column({ name: 'experiment_name', type: 'text', nullable: true })
  experimentName!: string | null;

  @Column({ type: 'text', nullable: true })
  status!: string | null;

  @Column({ name: 'start_time', type: 'timestamptz', nullable: true })
  startTime!: Date | null;

  @Column({ name: 'end_time', type: 'timestamptz', nullable: true })
  endTime!: Date | null;

  @Column({ type: 'jsonb' })
  params!: Record<string, string>;

  /** Latest value of each metric. */
  @Column({ type: 'jsonb' })
  metrics!: Record<string, number>;

  @Column({ type: 'jsonb' })
  tags!: Record<string, string>;

  @Column({ name: 'artifact_uri', type: 'text', nullable: true })
  artifactUri!: string | null;

  @CreateDateColumn({ name: 'recorded_at', type: 'timestamptz' })
  recordedAt!: Date;
}
