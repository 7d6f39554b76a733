import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

const bigintAsString = {
  to: (value: string): string => value,
  from: (value: string | number): string => String(value),
};

/** One change, recorded in the transaction that made it; a trigger refuses updates and deletes. */
@Entity({ name: 'audit_events' })
@Index('ix_audit_events_subject', ['subjectType', 'subjectId'])
export class AuditEventEntity {
  @PrimaryColumn({
    type: 'bigint',
    generatedIdentity: 'ALWAYS',
    generated: 'identity',
    primaryKeyConstraintName: 'pk_audit_events',
    transformer: bigintAsString,
  })
  id!: string;

  @CreateDateColumn({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  @Column({ name: 'actor_subject', type: 'text' })
  actorSubject!: string;

  @Column({ name: 'actor_tenant', type: 'text' })
  actorTenant!: string;

  @Column({ name: 'request_id', type: 'text', nullable: true })
  requestId!: string | null;

  /** e.g. `model-version.register`, `model-alias.set`. */
  @Column({ type: 'text' })
  action!: string;

  @Column({ name: 'subject_type', type: 'text' })
  subjectType!: string;

  @Column({ name: 'subject_id', type: 'text' })
  subjectId!: string;

  @Column({ type: 'jsonb', nullable: true })
  before!: Record<string, unknown> | null;

  @Column({ type: 'jsonb', nullable: true })
  after!: Record<string, unknown> | null;
}
