import { Field, ObjectType } from '@nestjs/graphql';

@ObjectType('RoutingReplica', {
  description:
    'A gateway replica that follows the routing table (its WatchRoutes stream to this control plane), or did within the last 10 minutes.',
})
export class RoutingReplicaObject {
  @Field({ description: 'GATEWAY_ID of the replica (its host name by default).' })
  gatewayId!: string;

  @Field({ description: 'Whether its stream is open now.' })
  connected!: boolean;

  @Field({ description: 'When its current (or last) stream opened.' })
  connectedSince!: Date;

  @Field({ description: 'Its last message, or when its stream ended.' })
  lastSeen!: Date;

  @Field({
    description:
      'The routing revision it serves (a 64-bit integer as a decimal string): its last ack, else what it said it served when it connected (0: none).',
  })
  appliedRevision!: string;

  @Field(() => String, { nullable: true, description: 'The last revision it rejected.' })
  lastRejectedRevision!: string | null;

  @Field(() => String, { nullable: true, description: 'Why it rejected that revision.' })
  lastRejectedReason!: string | null;

  @Field({ description: 'Its address as this control plane sees it.' })
  peer!: string;
}
