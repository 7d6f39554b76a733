import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, type FindOptionsWhere, LessThan, type Repository } from 'typeorm';
import { type Actor } from './actor';
import { AuditEventEntity } from './entities/audit-event.entity';

/** What a change did, for the audit: `before`/`after` are the subject's relevant fields, or null. */
export interface AuditedChange {
  action: string;
  subjectType: string;
  subjectId: string;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

export interface AuditFilter {
  subjectType?: string;
  subjectId?: string;
  action?: string;
  actorSubject?: string;
}

/**
 * The append-only audit. `record` takes the transaction's manager: the event commits or rolls back
 * with the change it describes, so no change goes unrecorded and no record describes a change that
 * did not happen.
 */
@Injectable()
export class AuditService {
  constructor(
    @InjectRepository(AuditEventEntity) private readonly events: Repository<AuditEventEntity>,
  ) {}

  async record(manager: EntityManager, actor: Actor, change: AuditedChange): Promise<void> {
    const events = manager.getRepository(AuditEventEntity);
    await events.save(
      events.create({
        actorSubject: actor.subject,
        actorTenant: actor.tenant,
        requestId: actor.requestId,
        action: change.action,
        subjectType: change.subjectType,
        subjectId: change.subjectId,
        before: change.before ?? null,
        after: change.after ?? null,
      }),
    );
  }

  /** Newest first; `beforeId` continues a page. Fetches one more than asked, to tell whether more exist. */
  async page(filter: AuditFilter, take: number, beforeId?: string): Promise<AuditEventEntity[]> {
    const where: FindOptionsWhere<AuditEventEntity> = {
      ...(filter.subjectType !== undefined ? { subjectType: filter.subjectType } : {}),
      ...(filter.subjectId !== undefined ? { subjectId: filter.subjectId } : {}),
      ...(filter.action !== undefined ? { action: filter.action } : {}),
      ...(filter.actorSubject !== undefined ? { actorSubject: filter.actorSubject } : {}),
      ...(beforeId !== undefined ? { id: LessThan(beforeId) } : {}),
    };
    return this.events.find({ where, order: { id: 'DESC' }, take: take + 1 });
  }
}
