import { Module } from '@nestjs/common';
import { DeploymentsModule } from '../deployments/deployments.module';
import { GrpcCallerAuthentication } from './grpc-caller';
import { RoutingGrpcServer } from './routing-grpc.server';
import { RoutingReplicas } from './routing-replicas';
import { RoutingReplicasResolver } from './routing-replicas.resolver';

/**
 * The gateways' side of routing: the WatchRoutes gRPC server that pushes the routing table
 * (the deployments module's RoutingSnapshots) and the replicas it sees.
 * RoutingReplicas is exported for the canary analysis (onStatistics).
 */
@Module({
  imports: [DeploymentsModule],
  providers: [
    GrpcCallerAuthentication,
    RoutingReplicas,
    RoutingGrpcServer,
    RoutingReplicasResolver,
  ],
  exports: [RoutingReplicas, RoutingGrpcServer],
})
export class RoutingModule {}
