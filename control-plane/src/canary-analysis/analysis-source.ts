import type { ComparisonWindow, VersionWindow } from './analysis-window';

/**
 * Where a canary analysis reads what the versions did over the last `windowSeconds`: the gateways'
 * own statistics reports (the embedded default) or Prometheus (CONTROL_PLANE_PROMETHEUS_URL).
 */
export interface AnalysisSource {
  /** Primary calls `version` of `model` served. */
  versionWindow(model: string, version: string, windowSeconds: number): Promise<VersionWindow>;
  /** Shadow copies of `primaryVersion`'s calls answered by `shadowVersion`, compared. */
  comparisonWindow(
    model: string,
    primaryVersion: string,
    shadowVersion: string,
    windowSeconds: number,
  ): Promise<ComparisonWindow>;
}

export const ANALYSIS_SOURCE = Symbol('AnalysisSource');
