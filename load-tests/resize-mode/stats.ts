import { percentile } from '../lib/latency-stats';

export function mean(values: readonly number[]): number {
  return values.length ? values.reduce((sum, value) => sum + value, 0) / values.length : Number.NaN;
}

/** The middle value (mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export interface Interval {
  estimate: number;
  /** 2.5th and 97.5th percentiles of the bootstrap distribution (nearest rank). */
  low: number;
  high: number;
}

/**
 * Moving-block bootstrap 95% interval of a statistic over a sequence of frames. Consecutive video
 * frames are correlated (the same people, 0.4 s apart), so resampling single frames would
 * understate the uncertainty; resampling runs of `block` consecutive frames keeps most of that
 * correlation. `statistic` gets the resampled frame indices.
 */
export function blockBootstrap(
  count: number,
  statistic: (indices: readonly number[]) => number,
  options: { block: number; resamples: number; random: () => number },
): Interval {
  const all = Array.from({ length: count }, (_, i) => i);
  const block = Math.min(options.block, count);
  const starts = count - block + 1;
  const samples: number[] = [];
  for (let r = 0; r < options.resamples; r += 1) {
    const indices: number[] = [];
    while (indices.length < count) {
      const start = Math.floor(options.random() * starts);
      for (let k = 0; k < block && indices.length < count; k += 1) indices.push(start + k);
    }
    const value = statistic(indices);
    if (Number.isFinite(value)) samples.push(value);
  }
  samples.sort((a, b) => a - b);
  return {
    estimate: statistic(all),
    low: percentile(samples, 2.5),
    high: percentile(samples, 97.5),
  };
}

/** Counts of values in [edges[i], edges[i + 1]); the last bin is closed on the right. */
export function histogram(values: readonly number[], edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length - 1).fill(0);
  for (const value of values) {
    for (let i = 0; i < counts.length; i += 1) {
      const last = i === counts.length - 1;
      if (value >= edges[i] && (value < edges[i + 1] || (last && value <= edges[i + 1]))) {
        counts[i] += 1;
        break;
      }
    }
  }
  return counts;
}
