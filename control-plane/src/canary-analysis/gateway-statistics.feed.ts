import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { ControlPlaneConfig } from '../config/control-plane-config';
import { InjectControlPlaneConfig } from '../config/control-plane-config.module';
import { RoutingReplicas } from '../routing/routing-replicas';
import { GatewayStatisticsStore } from './gateway-statistics.store';

/** A gateway's refused entries are logged again after this long, not every second. */
const REPEAT_LOG_MS = 60_000;

/**
 * Feeds the statistics every gateway sends on its routing stream into the store, unless the
 * analysis reads Prometheus instead (then nothing is kept).
 */
@Injectable()
export class GatewayStatisticsFeed implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('CanaryAnalysis');
  private stopListening: (() => void) | undefined;
  private readonly lastLogged = new Map<string, number>();

  constructor(
    private readonly replicas: RoutingReplicas,
    private readonly store: GatewayStatisticsStore,
    @InjectControlPlaneConfig() private readonly config: ControlPlaneConfig,
  ) {}

  onModuleInit(): void {
    if (this.config.prometheus !== undefined) return;
    this.stopListening = this.replicas.onStatistics((gatewayId, report) => {
      const { rejected } = this.store.ingest(report);
      if (rejected.length > 0) this.warn(gatewayId, rejected);
    });
  }

  onModuleDestroy(): void {
    this.stopListening?.();
  }

  private warn(gatewayId: string, rejected: string[]): void {
    const now = Date.now();
    if (now - (this.lastLogged.get(gatewayId) ?? -Infinity) < REPEAT_LOG_MS) return;
    // Bounded by the gateways that report; forget them all if an odd number of ids shows up.
    if (this.lastLogged.size > 1000) this.lastLogged.clear();
    this.lastLogged.set(gatewayId, now);
    this.logger.warn(
      `gateway ${gatewayId}: statistics refused (${rejected.length}): ${rejected.slice(0, 3).join('; ')}`,
    );
  }
}
