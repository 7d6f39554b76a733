import { round } from '../lib/latency-stats';
import type { CellResult } from './measure';
import type { PathName } from './settings';

/** One path against a baseline at one concurrency: what the extra layers cost. */
export interface Overhead {
  concurrency: number;
  path: PathName;
  baseline: PathName;
  p50AddedMs: number;
  p50Ratio: number;
  p99AddedMs: number;
  p99Ratio: number;
  /** Path throughput / baseline throughput (below 1: the path serves fewer requests per second). */
  throughputRatio: number;
  /** Serving-process CPU per request, path / baseline. */
  cpuPerRequestRatio: number;
}

/** The comparisons the benchmark exists for, then the model-only baseline for context. */
const PAIRS: [PathName, PathName][] = [
  ['gateway-http', 'pipeline-in-process'],
  ['gateway-grpc', 'pipeline-in-process'],
  ['gateway-http', 'ort-direct'],
  ['gateway-grpc', 'ort-direct'],
  ['pipeline-in-process', 'ort-direct'],
];

export function overheads(cells: readonly CellResult[]): Overhead[] {
  const find = (path: PathName, concurrency: number): CellResult | undefined =>
    cells.find((cell) => cell.path === path && cell.concurrency === concurrency);
  const concurrencies = [...new Set(cells.map((cell) => cell.concurrency))];
  return concurrencies.flatMap((concurrency) =>
    PAIRS.flatMap(([path, baseline]) => {
      const subject = find(path, concurrency);
      const base = find(baseline, concurrency);
      if (!subject || !base) return [];
      return [
        {
          concurrency,
          path,
          baseline,
          p50AddedMs: round(subject.latency.p50Ms - base.latency.p50Ms),
          p50Ratio: round(subject.latency.p50Ms / base.latency.p50Ms),
          p99AddedMs: round(subject.latency.p99Ms - base.latency.p99Ms),
          p99Ratio: round(subject.latency.p99Ms / base.latency.p99Ms),
          throughputRatio: round(subject.throughputRps / base.throughputRps),
          cpuPerRequestRatio: round(subject.server.cpuMsPerRequest / base.server.cpuMsPerRequest),
        },
      ];
    }),
  );
}
