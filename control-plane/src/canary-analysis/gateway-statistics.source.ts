import type { AnalysisSource } from './analysis-source';
import type { ComparisonWindow, VersionWindow } from './analysis-window';
import type { GatewayStatisticsStore } from './gateway-statistics.store';

/** Windows from the statistics the gateways report on their routing streams. */
export class GatewayStatisticsSource implements AnalysisSource {
  constructor(
    private readonly store: GatewayStatisticsStore,
    private readonly clock: () => number = Date.now,
  ) {}

  versionWindow(model: string, version: string, windowSeconds: number): Promise<VersionWindow> {
    const now = this.clock();
    return Promise.resolve(
      this.store.versionWindow(model, version, now - windowSeconds * 1000, now),
    );
  }

  comparisonWindow(
    model: string,
    primaryVersion: string,
    shadowVersion: string,
    windowSeconds: number,
  ): Promise<ComparisonWindow> {
    const now = this.clock();
    return Promise.resolve(
      this.store.comparisonWindow(
        model,
        primaryVersion,
        shadowVersion,
        now - windowSeconds * 1000,
        now,
      ),
    );
  }
}
