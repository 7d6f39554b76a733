import { Global, Module } from '@nestjs/common';
import { RoutingFileSource } from './routing-file.source';
import { RoutingMetrics } from './routing-metrics';
import { RoutingState } from './routing-state';
import { RoutingWatchClient } from './routing-watch.client';

/**
 * The routing table the route stage reads (RoutingState) and where it comes from: the control
 * plane's WatchRoutes stream (GATEWAY_CONTROL_PLANE_ADDRESS), a file (GATEWAY_ROUTING_FILE), or
 * neither (identity). Each source stays idle unless configured.
 */
@Global()
@Module({
  providers: [RoutingMetrics, RoutingState, RoutingWatchClient, RoutingFileSource],
  exports: [RoutingMetrics, RoutingState],
})
export class RoutingModule {}
