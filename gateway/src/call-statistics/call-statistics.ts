import { create } from '@bufbuild/protobuf';
import { Injectable } from '@nestjs/common';
import {
  CallStatisticsReportSchema,
  type CallStatisticsReport,
  type ComparisonStatistics,
  type VersionCallStatistics,
} from '@contracts/generated/control/v1/routing_pb';
import { matchedDetections, type Detection } from '@vision-math';
import { GatewayMetrics, type Outcome } from '../metrics/gateway-metrics';
import type { RouteDecision } from '../request-path/route-decision';
import type { ResolvedTarget } from '../request-path/resolved-target';
import type { CallStatisticsReports } from '../routing/call-statistics-reports';
import { RolloutMetrics } from './rollout-metrics';
import { bucketOf, LATENCY_BOUNDS_MS, SCORE_BOUNDS } from './statistics-bounds';

/** Versions and pairs tallied between two reports, at most: labels come from served versions. */
const MAX_KEYS = 4096;

/** A primary call as the statistics see it: the version that served it and its answer. */
export interface PrimaryCall {
  target: ResolvedTarget;
  route: RouteDecision;
  outcome: Outcome;
  ms: number;
  /** A detect call's detections (undefined for a tensor call, or when it failed). */
  detections?: readonly Readonly<Detection>[];
}

/** A shadow copy's fate: compared with the primary answer, failed, or never started. */
export type ShadowResult =
  | {
      outcome: 'compared';
      ms: number;
      primary?: readonly Readonly<Detection>[];
      shadow?: readonly Readonly<Detection>[];
    }
  | { outcome: 'error'; ms: number }
  | { outcome: 'dropped' };

export interface ShadowPair {
  model: string;
  primaryVersion: string;
  shadowVersion: string;
}

/**
 * What the calls of every version did since the last report, and how each shadow's answers
 * compared with the primary's on the same images: the canary analysis' source when no Prometheus
 * is configured, drained once a second into the routing watch (routing.proto
 * CallStatisticsReport). The same observations feed the Prometheus series (RolloutMetrics).
 */
@Injectable()
export class CallStatistics implements CallStatisticsReports {
  readonly metrics: RolloutMetrics;
  private versions = new Map<string, VersionCallStatistics>();
  private comparisons = new Map<string, ComparisonStatistics>();
  private windowStart = Date.now();

  constructor(gatewayMetrics: GatewayMetrics) {
    this.metrics = new RolloutMetrics(gatewayMetrics.registry);
  }

  recordPrimary({ target, route, outcome, ms, detections }: PrimaryCall): void {
    const { model, version } = target;
    this.metrics.versionCalls.inc({ model, version, role: route.role, outcome });
    this.metrics.versionCallDuration.observe({ model, version }, ms / 1000);
    const tally = this.versionTally(model, version);
    if (!tally) return;
    tally.calls += 1n;
    if (outcome === 'server_error') tally.errors += 1n;
    tally.latencyBucketCounts[bucketOf(LATENCY_BOUNDS_MS, ms)] += 1n;
    if (!detections) return;
    tally.images += 1n;
    tally.detections += BigInt(detections.length);
    this.metrics.versionImages.inc({ model, version });
    this.metrics.versionDetections.inc({ model, version }, detections.length);
    for (const { score } of detections) {
      tally.scoreBucketCounts[bucketOf(SCORE_BOUNDS, score)] += 1n;
      this.metrics.versionDetectionScore.observe({ model, version }, score);
    }
  }

  recordShadow(pair: ShadowPair, result: ShadowResult): void {
    const labels = {
      model: pair.model,
      primary_version: pair.primaryVersion,
      shadow_version: pair.shadowVersion,
    };
    this.metrics.shadowCalls.inc({ ...labels, outcome: result.outcome });
    const tally = this.comparisonTally(pair);
    if (result.outcome === 'dropped') {
      if (tally) tally.shadowDropped += 1n;
      return;
    }
    this.metrics.shadowCallDuration.observe(labels, result.ms / 1000);
    if (tally) tally.shadowLatencyBucketCounts[bucketOf(LATENCY_BOUNDS_MS, result.ms)] += 1n;
    if (result.outcome === 'error') {
      if (tally) tally.shadowErrors += 1n;
      return;
    }
    const { primary, shadow } = result;
    if (!primary || !shadow) return;
    const matched = matchedDetections(primary, shadow);
    this.metrics.shadowDetections.inc({ ...labels, side: 'primary' }, primary.length);
    this.metrics.shadowDetections.inc({ ...labels, side: 'shadow' }, shadow.length);
    this.metrics.shadowDetections.inc({ ...labels, side: 'matched' }, matched);
    for (const { score } of primary) {
      this.metrics.shadowDetectionScore.observe({ ...labels, side: 'primary' }, score);
    }
    for (const { score } of shadow) {
      this.metrics.shadowDetectionScore.observe({ ...labels, side: 'shadow' }, score);
    }
    if (!tally) return;
    tally.compared += 1n;
    tally.primaryDetections += BigInt(primary.length);
    tally.shadowDetections += BigInt(shadow.length);
    tally.matched += BigInt(matched);
    for (const { score } of primary)
      tally.primaryScoreBucketCounts[bucketOf(SCORE_BOUNDS, score)] += 1n;
    for (const { score } of shadow)
      tally.shadowScoreBucketCounts[bucketOf(SCORE_BOUNDS, score)] += 1n;
  }

  /** Everything since the previous report, and a fresh window; undefined when nothing happened. */
  drain(): CallStatisticsReport | undefined {
    const now = Date.now();
    const versions = [...this.versions.values()];
    const comparisons = [...this.comparisons.values()];
    const windowStartUnixMs = BigInt(this.windowStart);
    this.versions = new Map();
    this.comparisons = new Map();
    this.windowStart = now;
    if (versions.length === 0 && comparisons.length === 0) return undefined;
    return create(CallStatisticsReportSchema, {
      windowStartUnixMs,
      windowEndUnixMs: BigInt(now),
      latencyBoundsMs: [...LATENCY_BOUNDS_MS],
      scoreBounds: [...SCORE_BOUNDS],
      versions,
      comparisons,
    });
  }

  private versionTally(model: string, version: string): VersionCallStatistics | undefined {
    return tallyIn(this.versions, `${model}\u0000${version}`, () => ({
      $typeName: 'control.v1.VersionCallStatistics',
      model,
      version,
      calls: 0n,
      errors: 0n,
      latencyBucketCounts: zeros(LATENCY_BOUNDS_MS.length + 1),
      images: 0n,
      detections: 0n,
      scoreBucketCounts: zeros(SCORE_BOUNDS.length + 1),
    }));
  }

  private comparisonTally(pair: ShadowPair): ComparisonStatistics | undefined {
    const key = `${pair.model}\u0000${pair.primaryVersion}\u0000${pair.shadowVersion}`;
    return tallyIn(this.comparisons, key, () => ({
      $typeName: 'control.v1.ComparisonStatistics',
      model: pair.model,
      primaryVersion: pair.primaryVersion,
      shadowVersion: pair.shadowVersion,
      compared: 0n,
      shadowErrors: 0n,
      shadowDropped: 0n,
      primaryDetections: 0n,
      shadowDetections: 0n,
      matched: 0n,
      shadowLatencyBucketCounts: zeros(LATENCY_BOUNDS_MS.length + 1),
      shadowScoreBucketCounts: zeros(SCORE_BOUNDS.length + 1),
      primaryScoreBucketCounts: zeros(SCORE_BOUNDS.length + 1),
    }));
  }
}

/** The tally under `key`, made on first use while the window holds fewer than MAX_KEYS. */
function tallyIn<T>(tallies: Map<string, T>, key: string, make: () => T): T | undefined {
  let tally = tallies.get(key);
  if (!tally && tallies.size < MAX_KEYS) {
    tally = make();
    tallies.set(key, tally);
  }
  return tally;
}

function zeros(length: number): bigint[] {
  return Array.from({ length }, () => 0n);
}
