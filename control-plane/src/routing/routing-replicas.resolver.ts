import { Query, Resolver } from '@nestjs/graphql';
import { RequireRole } from '../auth';
import { RoutingReplicaObject } from './routing-replica.object';
import { RoutingReplicas } from './routing-replicas';

@Resolver(() => RoutingReplicaObject)
@RequireRole('viewer')
export class RoutingReplicasResolver {
  constructor(private readonly replicas: RoutingReplicas) {}

  @Query(() => [RoutingReplicaObject], {
    description:
      'The gateway replicas following the routing table through this control plane, by id: which revision each serves and what it rejected.',
  })
  routingReplicas(): RoutingReplicaObject[] {
    return this.replicas.list().map((replica) => ({
      gatewayId: replica.gatewayId,
      connected: replica.connected,
      connectedSince: replica.connectedSince,
      lastSeen: replica.lastSeen,
      appliedRevision: String(replica.appliedRevision),
      lastRejectedRevision:
        replica.lastRejectedRevision === undefined ? null : String(replica.lastRejectedRevision),
      lastRejectedReason: replica.lastRejectedReason ?? null,
      peer: replica.peer,
    }));
  }
}
