import { RequireRole } from '../../auth';
import { Args, Query, Resolver } from '@nestjs/graphql';
import {
  type Connection,
  decodeCursor,
  PageArgs,
  pageSize,
  toConnection,
} from '../../graphql/relay-connection';
import { AuditService } from '../audit.service';
import { type AuditEventEntity } from '../entities/audit-event.entity';
import { AuditEventConnection, AuditEventObject, AuditFilterInput } from './audit-event.object';

const CURSOR_KIND = 'audit';
const ID_PATTERN = /^\d{1,19}$/;

@Resolver(() => AuditEventObject)
@RequireRole('viewer')
export class AuditResolver {
  constructor(private readonly audit: AuditService) {}

  @Query(() => AuditEventConnection, { description: 'Recorded changes, newest first.' })
  async auditEvents(
    @Args() page: PageArgs,
    @Args('filter', { type: () => AuditFilterInput, nullable: true })
    filter: AuditFilterInput | null,
  ): Promise<Connection<AuditEventObject>> {
    const first = pageSize(page);
    const after = decodeCursor(CURSOR_KIND, page.after);
    const rows = await this.audit.page(
      filter ?? {},
      first,
      after !== undefined && ID_PATTERN.test(after) ? after : undefined,
    );
    return toConnection(rows, first, CURSOR_KIND, (row) => row.id, toAuditEventObject);
  }
}

function toAuditEventObject(row: AuditEventEntity): AuditEventObject {
  return {
    id: row.id,
    occurredAt: row.occurredAt,
    actorSubject: row.actorSubject,
    actorTenant: row.actorTenant,
    requestId: row.requestId,
    action: row.action,
    subjectType: row.subjectType,
    subjectId: row.subjectId,
    before: row.before === null ? null : JSON.stringify(row.before),
    after: row.after === null ? null : JSON.stringify(row.after),
  };
}
