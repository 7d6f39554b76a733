import type {
  CallStatisticsReport,
  ComparisonStatistics,
  VersionCallStatistics,
} from '@contracts/generated/control/v1/routing_pb';
import {
  emptyComparisonWindow,
  emptyVersionWindow,
  type ComparisonWindow,
  type VersionWindow,
} from './analysis-window';

export interface GatewayStatisticsStoreOptions {
  /** Seconds kept (one slot each): the longest window that can be asked for. Default 900. */
  retentionSeconds?: number;
  /** (model, version) and (model, primary, shadow) keys kept; the least recently updated go first. */
  maxKeys?: number;
  /** Numbers held in slots over all keys (8 bytes each); default 8M, 64 MiB. */
  maxStoredValues?: number;
  /** Bounds per histogram a report may carry. */
  maxBounds?: number;
  /** Longest model or version name taken. */
  maxNameLength?: number;
}

/** What one report did to the store: entries taken, and why others were not. */
export interface IngestResult {
  accepted: number;
  rejected: string[];
}

const VERSION_COUNTERS = 4; // calls, errors, images, detections
const COMPARISON_COUNTERS = 6; // compared, shadow errors, dropped, primary/shadow detections, matched

interface Slot {
  second: number;
  values: Float64Array;
}

interface Series {
  comparison: boolean;
  ring: (Slot | undefined)[];
}

/**
 * The gateways' CallStatisticsReports (one a second from each), summed into per-second slots of a
 * ring per (model, version) and per (model, primary, shadow): the canary analysis' source when no
 * Prometheus is configured.
 *
 * - Slots are keyed by the time the control plane received a report, not the gateway's clock, so
 *   gateways with skewed clocks land in the same windows (a report covers about one second).
 * - All histograms share the store's bounds. A report with other bounds (a gateway of another
 *   release) replaces them and every slot is dropped: counts on different buckets cannot be summed,
 *   and the newest gateways' buckets are the ones that will stay. Its windows restart from empty.
 * - Memory is bounded whatever the reports say: names and bounds are capped in length, keys in
 *   number and slot values in total; past a cap the least recently updated key is evicted.
 */
export class GatewayStatisticsStore {
  private readonly retentionSeconds: number;
  private readonly maxKeys: number;
  private readonly maxStoredValues: number;
  private readonly maxBounds: number;
  private readonly maxNameLength: number;
  /** Insertion order is update order: the first key is the least recently updated. */
  private readonly series = new Map<string, Series>();
  private storedValues = 0;
  private latencyBoundsMs: number[] = [];
  private scoreBounds: number[] = [];

  constructor(
    options: GatewayStatisticsStoreOptions = {},
    private readonly clock: () => number = Date.now,
  ) {
    this.retentionSeconds = options.retentionSeconds ?? 900;
    this.maxKeys = options.maxKeys ?? 1024;
    this.maxStoredValues = options.maxStoredValues ?? 8 * 1024 * 1024;
    this.maxBounds = options.maxBounds ?? 64;
    this.maxNameLength = options.maxNameLength ?? 256;
  }

  /** Keys held now. */
  get keys(): number {
    return this.series.size;
  }

  /** Numbers held in slots now (memory is about 8 bytes each, plus the rings). */
  get values(): number {
    return this.storedValues;
  }

  ingest(report: CallStatisticsReport, receivedAtMs: number = this.clock()): IngestResult {
    const boundsProblem =
      this.boundsProblem('latency_bounds_ms', report.latencyBoundsMs) ??
      this.boundsProblem('score_bounds', report.scoreBounds);
    if (boundsProblem !== undefined) return { accepted: 0, rejected: [boundsProblem] };
    if (
      !sameNumbers(report.latencyBoundsMs, this.latencyBoundsMs) ||
      !sameNumbers(report.scoreBounds, this.scoreBounds)
    ) {
      this.latencyBoundsMs = [...report.latencyBoundsMs];
      this.scoreBounds = [...report.scoreBounds];
      this.series.clear();
      this.storedValues = 0;
    }
    const second = Math.floor(receivedAtMs / 1000);
    const result: IngestResult = { accepted: 0, rejected: [] };
    for (const entry of report.versions) {
      const problem = this.versionProblem(entry);
      if (problem !== undefined) result.rejected.push(problem);
      else if (this.addVersion(entry, second)) result.accepted += 1;
      else result.rejected.push(`${entry.model}/${entry.version}: store full`);
    }
    for (const entry of report.comparisons) {
      const problem = this.comparisonProblem(entry);
      if (problem !== undefined) result.rejected.push(problem);
      else if (this.addComparison(entry, second)) result.accepted += 1;
      else
        result.rejected.push(
          `${entry.model}/${entry.primaryVersion}→${entry.shadowVersion}: store full`,
        );
    }
    return result;
  }

  /** Sums of the slots received in [fromMs, toMs), over all gateways. */
  versionWindow(model: string, version: string, fromMs: number, toMs: number): VersionWindow {
    const window = emptyVersionWindow(this.latencyBoundsMs, this.scoreBounds);
    const sums = this.sum(versionKey(model, version), fromMs, toMs);
    if (sums === undefined) return window;
    const latency = this.latencyBoundsMs.length + 1;
    [window.calls, window.errors, window.images, window.detections] = sums;
    window.latencyBuckets = Array.from(sums.subarray(VERSION_COUNTERS, VERSION_COUNTERS + latency));
    window.scoreBuckets = Array.from(sums.subarray(VERSION_COUNTERS + latency));
    return window;
  }

  /** Sums of the comparisons received in [fromMs, toMs), over all gateways. */
  comparisonWindow(
    model: string,
    primaryVersion: string,
    shadowVersion: string,
    fromMs: number,
    toMs: number,
  ): ComparisonWindow {
    const window = emptyComparisonWindow(this.latencyBoundsMs, this.scoreBounds);
    const sums = this.sum(comparisonKey(model, primaryVersion, shadowVersion), fromMs, toMs);
    if (sums === undefined) return window;
    const latency = this.latencyBoundsMs.length + 1;
    const score = this.scoreBounds.length + 1;
    [
      window.compared,
      window.shadowErrors,
      window.shadowDropped,
      window.primaryDetections,
      window.shadowDetections,
      window.matched,
    ] = sums;
    let at = COMPARISON_COUNTERS;
    window.shadowLatencyBuckets = Array.from(sums.subarray(at, (at += latency)));
    window.shadowScoreBuckets = Array.from(sums.subarray(at, (at += score)));
    window.primaryScoreBuckets = Array.from(sums.subarray(at, at + score));
    return window;
  }

  private addVersion(entry: VersionCallStatistics, second: number): boolean {
    const slot = this.slot(versionKey(entry.model, entry.version), false, second);
    if (slot === undefined) return false;
    const { values } = slot;
    values[0] += Number(entry.calls);
    values[1] += Number(entry.errors);
    values[2] += Number(entry.images);
    values[3] += Number(entry.detections);
    addInto(values, VERSION_COUNTERS, entry.latencyBucketCounts);
    addInto(values, VERSION_COUNTERS + this.latencyBoundsMs.length + 1, entry.scoreBucketCounts);
    return true;
  }

  private addComparison(entry: ComparisonStatistics, second: number): boolean {
    const key = comparisonKey(entry.model, entry.primaryVersion, entry.shadowVersion);
    const slot = this.slot(key, true, second);
    if (slot === undefined) return false;
    const { values } = slot;
    values[0] += Number(entry.compared);
    values[1] += Number(entry.shadowErrors);
    values[2] += Number(entry.shadowDropped);
    values[3] += Number(entry.primaryDetections);
    values[4] += Number(entry.shadowDetections);
    values[5] += Number(entry.matched);
    const latency = this.latencyBoundsMs.length + 1;
    const score = this.scoreBounds.length + 1;
    addInto(values, COMPARISON_COUNTERS, entry.shadowLatencyBucketCounts);
    addInto(values, COMPARISON_COUNTERS + latency, entry.shadowScoreBucketCounts);
    addInto(values, COMPARISON_COUNTERS + latency + score, entry.primaryScoreBucketCounts);
    return true;
  }

  /** The key's slot for `second`, made (evicting what the caps require) when missing. */
  private slot(key: string, comparison: boolean, second: number): Slot | undefined {
    let series = this.series.get(key);
    if (series !== undefined) {
      // Re-inserted: the map's order is the order of last update.
      this.series.delete(key);
    } else {
      while (this.series.size >= this.maxKeys) this.evictOldest();
      series = { comparison, ring: new Array<Slot | undefined>(this.retentionSeconds) };
    }
    this.series.set(key, series);
    const index = second % this.retentionSeconds;
    const existing = series.ring[index];
    if (existing !== undefined) {
      // A slot of an older lap of the ring is reused for this second.
      if (existing.second !== second) {
        existing.values.fill(0);
        existing.second = second;
      }
      return existing;
    }
    const size = this.slotSize(comparison);
    while (this.storedValues + size > this.maxStoredValues && this.series.size > 1) {
      this.evictOldest();
    }
    if (this.storedValues + size > this.maxStoredValues) return undefined;
    const slot = { second, values: new Float64Array(size) };
    series.ring[index] = slot;
    this.storedValues += size;
    return slot;
  }

  private evictOldest(): void {
    const oldest = this.series.keys().next();
    if (oldest.done === true) return;
    const series = this.series.get(oldest.value);
    this.series.delete(oldest.value);
    for (const slot of series?.ring ?? []) {
      if (slot !== undefined) this.storedValues -= slot.values.length;
    }
  }

  private sum(key: string, fromMs: number, toMs: number): Float64Array | undefined {
    const series = this.series.get(key);
    if (series === undefined) return undefined;
    const sums = new Float64Array(this.slotSize(series.comparison));
    // Only what the ring still holds: a window longer than the retention is cut to it.
    const oldest = Math.floor(this.clock() / 1000) - this.retentionSeconds;
    for (const slot of series.ring) {
      if (slot === undefined || slot.second <= oldest) continue;
      const startMs = slot.second * 1000;
      if (startMs < fromMs || startMs >= toMs) continue;
      for (let index = 0; index < sums.length; index++) sums[index] += slot.values[index];
    }
    return sums;
  }

  private slotSize(comparison: boolean): number {
    const latency = this.latencyBoundsMs.length + 1;
    const score = this.scoreBounds.length + 1;
    return comparison
      ? COMPARISON_COUNTERS + latency + 2 * score
      : VERSION_COUNTERS + latency + score;
  }

  private boundsProblem(field: string, bounds: readonly number[]): string | undefined {
    if (bounds.length > this.maxBounds) {
      return `${field}: ${bounds.length} bounds, at most ${this.maxBounds}`;
    }
    for (let index = 0; index < bounds.length; index++) {
      if (!Number.isFinite(bounds[index]) || (index > 0 && bounds[index] <= bounds[index - 1])) {
        return `${field} must be finite and increasing`;
      }
    }
    return undefined;
  }

  private versionProblem(entry: VersionCallStatistics): string | undefined {
    return (
      this.namesProblem([entry.model, entry.version]) ??
      this.bucketsProblem(entry.latencyBucketCounts, this.latencyBoundsMs, 'latency') ??
      this.bucketsProblem(entry.scoreBucketCounts, this.scoreBounds, 'score')
    );
  }

  private comparisonProblem(entry: ComparisonStatistics): string | undefined {
    return (
      this.namesProblem([entry.model, entry.primaryVersion, entry.shadowVersion]) ??
      this.bucketsProblem(
        entry.shadowLatencyBucketCounts,
        this.latencyBoundsMs,
        'shadow latency',
      ) ??
      this.bucketsProblem(entry.shadowScoreBucketCounts, this.scoreBounds, 'shadow score') ??
      this.bucketsProblem(entry.primaryScoreBucketCounts, this.scoreBounds, 'primary score')
    );
  }

  private namesProblem(names: string[]): string | undefined {
    const bad = names.find((name) => name.length === 0 || name.length > this.maxNameLength);
    return bad === undefined
      ? undefined
      : `a model or version name of ${bad.length} characters (1-${this.maxNameLength})`;
  }

  /** Empty means no observations (all zeros); otherwise one count per bucket, +Inf included. */
  private bucketsProblem(
    counts: readonly bigint[],
    bounds: readonly number[],
    what: string,
  ): string | undefined {
    if (counts.length === 0 || counts.length === bounds.length + 1) return undefined;
    return `${what} buckets: ${counts.length} counts for ${bounds.length} bounds (+Inf)`;
  }
}

function versionKey(model: string, version: string): string {
  return `v\u0000${model}\u0000${version}`;
}

function comparisonKey(model: string, primaryVersion: string, shadowVersion: string): string {
  return `c\u0000${model}\u0000${primaryVersion}\u0000${shadowVersion}`;
}

function addInto(values: Float64Array, offset: number, counts: readonly bigint[]): void {
  for (let index = 0; index < counts.length; index++)
    values[offset + index] += Number(counts[index]);
}

function sameNumbers(first: readonly number[], second: readonly number[]): boolean {
  return first.length === second.length && first.every((value, index) => value === second[index]);
}
