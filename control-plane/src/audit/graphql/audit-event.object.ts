import { Field, ID, InputType, ObjectType } from '@nestjs/graphql';
import { connectionType } from '../../graphql/relay-connection';

@ObjectType('AuditEvent', {
  description: 'One recorded change: who, what, before and after, when.',
})
export class AuditEventObject {
  @Field(() => ID)
  id!: string;

  @Field()
  occurredAt!: Date;

  @Field({
    description:
      '`key:<id>` for an API key, `jwt:<sub>` for a token, `system:…` for the control plane.',
  })
  actorSubject!: string;

  @Field()
  actorTenant!: string;

  @Field(() => String, { nullable: true })
  requestId!: string | null;

  @Field({ description: 'e.g. model-version.register, model-alias.set.' })
  action!: string;

  @Field({ description: 'e.g. model-version, model-alias.' })
  subjectType!: string;

  @Field()
  subjectId!: string;

  @Field(() => String, { nullable: true, description: 'The subject before the change, as JSON.' })
  before!: string | null;

  @Field(() => String, { nullable: true, description: 'The subject after the change, as JSON.' })
  after!: string | null;
}

export const AuditEventConnection = connectionType(AuditEventObject, 'AuditEvent');

@InputType('AuditFilter')
export class AuditFilterInput {
  @Field(() => String, { nullable: true })
  subjectType?: string;

  @Field(() => String, { nullable: true })
  subjectId?: string;

  @Field(() => String, { nullable: true })
  action?: string;

  @Field(() => String, { nullable: true })
  actorSubject?: string;
}
