import { plotLines, type Panel } from '../lib/plot';
import type { Tier } from './configurations';
import { P99_OBJECTIVE_MS } from './settings';
import type { BatchingResults, Cell } from './types';

const TIER_TITLES: Record<Tier, string> = {
  embedded: 'embedded ONNX Runtime',
  interop: 'Triton: gateway vs Triton batching',
};

/** Throughput and p99 vs concurrency, one line per configuration, one pair of panels per tier. */
export function writeFigure(output: string, results: BatchingResults): void {
  const panels: Panel[] = [];
  for (const tier of ['embedded', 'interop'] as const) {
    const cells = results.cells.filter((cell) => cell.tier === tier);
    if (cells.length === 0) continue;
    const names = results.configurations.filter((c) => c.tier === tier).map((c) => c.name);
    const series = (value: (cell: Cell) => number) =>
      names.map((name) => {
        const own = cells
          .filter((cell) => cell.configuration === name)
          .sort((a, b) => a.concurrency - b.concurrency);
        return { label: name, x: own.map((cell) => cell.concurrency), y: own.map(value) };
      });
    panels.push(
      {
        title: `${TIER_TITLES[tier]}: throughput`,
        xlabel: 'concurrency (closed loop)',
        ylabel: 'requests / s',
        logx2: true,
        series: series((cell) => cell.requestsPerSecond),
      },
      {
        title: `${TIER_TITLES[tier]}: p99 latency (log scale)`,
        xlabel: 'concurrency (closed loop)',
        ylabel: 'p99 ms',
        logy: true,
        logx2: true,
        series: [
          ...series((cell) => cell.p99Ms),
          {
            label: `${P99_OBJECTIVE_MS} ms (objective)`,
            x: results.settings.concurrencies,
            y: results.settings.concurrencies.map(() => P99_OBJECTIVE_MS),
            style: 'step',
          },
        ],
      },
    );
  }
  plotLines(output, 'Dynamic batching: NanoDet-m over KServe gRPC', panels);
}
