import { Module } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { ControlPlaneConfig } from '../config/control-plane-config';
import { CONTROL_PLANE_CONFIG } from '../config/control-plane-config.module';
import { DeploymentsModule } from '../deployments/deployments.module';
import { DeploymentsService } from '../deployments/deployments.service';
import { RoutingModule } from '../routing/routing.module';
import { ANALYSIS_DECISIONS, JUDGE_LOCK } from './analysis-ports';
import { ANALYSIS_SOURCE, type AnalysisSource } from './analysis-source';
import { CanaryAnalysisRunner } from './canary-analysis.runner';
import { GatewayStatisticsFeed } from './gateway-statistics.feed';
import { GatewayStatisticsSource } from './gateway-statistics.source';
import { GatewayStatisticsStore } from './gateway-statistics.store';
import { InProcessJudgeLock, PostgresJudgeLock, type JudgeLock } from './judge-lock';
import { PrometheusAnalysisSource } from './prometheus-analysis.source';

/**
 * Automated canary analysis: once a second, judges each running analysis on its last interval
 * (SLOs and quality, from the gateways' statistics reports or from Prometheus) and records the
 * decision with the deployments module, which applies it.
 */
@Module({
  imports: [DeploymentsModule, RoutingModule],
  providers: [
    { provide: GatewayStatisticsStore, useFactory: () => new GatewayStatisticsStore() },
    GatewayStatisticsFeed,
    {
      provide: ANALYSIS_SOURCE,
      inject: [CONTROL_PLANE_CONFIG, GatewayStatisticsStore],
      useFactory: (config: ControlPlaneConfig, store: GatewayStatisticsStore): AnalysisSource =>
        config.prometheus !== undefined
          ? new PrometheusAnalysisSource(config.prometheus)
          : new GatewayStatisticsSource(store),
    },
    {
      provide: JUDGE_LOCK,
      inject: [CONTROL_PLANE_CONFIG, getDataSourceToken()],
      // PGlite (no DATABASE_URL) is one process by construction: see InProcessJudgeLock.
      useFactory: (config: ControlPlaneConfig, dataSource: DataSource): JudgeLock =>
        config.databaseUrl !== undefined
          ? new PostgresJudgeLock(dataSource)
          : new InProcessJudgeLock(),
    },
    { provide: ANALYSIS_DECISIONS, useExisting: DeploymentsService },
    CanaryAnalysisRunner,
  ],
})
export class CanaryAnalysisModule {}
