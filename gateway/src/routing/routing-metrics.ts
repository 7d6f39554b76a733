import { Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { servedModelLabels, type ServedModels } from '../metrics/model-labels';
import type { RouteRole } from '../request-path/route-decision';

/** Where a routing snapshot came from. */
export type RoutingSource = 'control_plane' | 'file' | 'persisted';

/** The routing metrics, on the gateway's one registry (GatewayMetrics.registry). */
@Injectable()
export class RoutingMetrics {
  private createdUnixMs = 0;

  readonly revision: Gauge;
  readonly snapshotAge: Gauge;
  readonly updates: Counter<'source' | 'result'>;
  readonly controlPlaneConnected: Gauge;
  readonly decisions: Counter<'model' | 'version' | 'role'>;
  readonly fallbacks: Counter<'model'>;

  constructor(metrics: GatewayMetrics) {
    const registers = [metrics.registry];
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- prom-client's collect() binds `this` to the gauge
    const self = this;
    this.revision = new Gauge({
      name: 'gateway_routing_revision',
      help: 'Revision of the routing table the gateway serves (0: none, identity routing).',
      registers,
    });
    this.snapshotAge = new Gauge({
      name: 'gateway_routing_snapshot_age_seconds',
      help: 'Seconds since the control plane made the routing snapshot the gateway serves (0 while none is applied).',
      registers,
      collect() {
        this.set(self.createdUnixMs > 0 ? Math.max(0, Date.now() - self.createdUnixMs) / 1000 : 0);
      },
    });
    this.updates = new Counter({
      name: 'gateway_routing_updates_total',
      help: 'Routing snapshots received, by source (control_plane, file, persisted) and result (applied, rejected).',
      labelNames: ['source', 'result'] as const,
      registers,
    });
    this.controlPlaneConnected = new Gauge({
      name: 'gateway_routing_control_plane_connected',
      help: '1 while the routing watch stream to the control plane is open, 0 otherwise.',
      registers,
    });
    this.decisions = new Counter({
      name: 'gateway_routing_decisions_total',
      help: 'Calls routed, by model, the version that served them, and role (pinned, identity, stable, canary, tenant-override).',
      labelNames: ['model', 'version', 'role'] as const,
      registers,
    });
    this.fallbacks = new Counter({
      name: 'gateway_routing_fallbacks_total',
      help: 'Calls whose routed version was not served, sent to the route’s stable version or the newest served one instead, by model.',
      labelNames: ['model'] as const,
      registers,
    });
  }

  /** The table now served: its revision and age. */
  served(revision: bigint, createdUnixMs: bigint): void {
    this.revision.set(Number(revision));
    this.createdUnixMs = Number(createdUnixMs);
  }

  update(source: RoutingSource, result: 'applied' | 'rejected'): void {
    this.updates.inc({ source, result });
  }

  /** One routed call; model and version labels only name what `served` serves. */
  decided(served: ServedModels, model: string, version: string, role: RouteRole): void {
    this.decisions.inc({ ...servedModelLabels(served, model, version), role });
  }

  fellBack(served: ServedModels, model: string): void {
    this.fallbacks.inc({ model: servedModelLabels(served, model).model });
  }
}
