import { GatewayError } from '../errors/gateway-error';
import type { CallGuard, GuardedCall } from '../request-path/call-work';
import type { InferenceBackend } from '../request-path/inference-backend';
import type { ResolvedTarget } from '../request-path/resolved-target';
import type { RouteDecision } from '../request-path/route-decision';
import type { RoutingMetrics } from './routing-metrics';
import type { CurrentRoutingTable } from './routing-state';
import { RoutingTable } from './routing-table';

/** Identity routing, for a pipeline built without a routing state (unit tests). */
const IDENTITY: CurrentRoutingTable = { current: RoutingTable.IDENTITY };

/**
 * Resolves the version that serves the call, once; every later step reads it from the call.
 * A version the caller names is served as asked (pinned). Otherwise the routing table decides
 * (stable, canary, tenant override, or identity: the newest served version); it is read once per
 * call, so a swap mid-call cannot mix two revisions. A decided version the backend no longer
 * serves (a table applied before a version was unloaded) falls back to the route's stable
 * version, then to the newest served one, and is counted.
 */
export class RouteStage implements CallGuard {
  readonly name = 'route';

  constructor(
    private readonly backend: InferenceBackend,
    private readonly routing: CurrentRoutingTable = IDENTITY,
    private readonly metrics?: RoutingMetrics,
  ) {}

  check(guarded: GuardedCall): void {
    if (guarded.target) throw new Error('a call is routed once');
    const { model, version } = guarded.ask;
    const table = this.routing.current;
    if (version !== '') {
      guarded.target = this.backend.resolve(model, version);
      guarded.route = {
        role: 'pinned',
        version,
        revision: table.revision,
        deploymentRevision: 0n,
        shadows: [],
      };
    } else {
      const routed = this.resolve(table, model, table.decide(model, guarded.call));
      guarded.target = routed.target;
      guarded.route = routed.route;
    }
    this.metrics?.decided(this.backend, model, guarded.target.version, guarded.route.role);
  }

  private resolve(
    table: RoutingTable,
    model: string,
    decision: RouteDecision,
  ): { target: ResolvedTarget; route: RouteDecision } {
    const target = this.tryResolve(model, decision.version);
    if (target || decision.role === 'identity') {
      // Identity: resolve again so an unknown model gets the backend's own not_found.
      return { target: target ?? this.backend.resolve(model, ''), route: decision };
    }
    this.metrics?.fellBack(this.backend, model);
    const stable = table.route(model)?.stableVersion;
    const fallback: Pick<RouteDecision, 'role' | 'version'> =
      stable !== undefined && stable !== decision.version && this.tryResolve(model, stable)
        ? { role: 'stable', version: stable }
        : { role: 'identity', version: '' };
    const resolved = this.backend.resolve(model, fallback.version);
    return {
      target: resolved,
      route: {
        ...decision,
        ...fallback,
        shadows: decision.shadows.filter((shadow) => shadow.version !== resolved.version),
      },
    };
  }

  /** The target, or undefined when the backend does not serve that version (not_found). */
  private tryResolve(model: string, version: string): ResolvedTarget | undefined {
    try {
      return this.backend.resolve(model, version);
    } catch (error) {
      if (error instanceof GatewayError && error.kind === 'not_found') return undefined;
      throw error;
    }
  }
}
