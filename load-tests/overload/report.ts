import { join } from 'node:path';
import type { MachineInfo } from '../lib/machine-info';
import { plotLines } from '../lib/plot';
import type { PrioritySummary, SecondBucket } from './analysis';
import type { BreakerPhaseResults } from './breaker-phase';
import { renderBreakerSection } from './breaker-report';
import type { Outcome } from './detect-client';

export interface OverloadResults {
  benchmark: 'overload';
  machine: MachineInfo;
  loadAverageAtEnd: number[];
  settings: Record<string, unknown>;
  capacityImagesPerSecond: number;
  offeredPerSecond: number;
  overall: PrioritySummary;
  byPriority: { realtime: PrioritySummary; bulk: PrioritySummary };
  perSecond: SecondBucket[];
  rss: { tS: number; rssMiB: number }[];
  statusAfterOverload: Outcome;
  /** Absent when run with BENCH_BREAKER=0. */
  breaker?: BreakerPhaseResults;
}

const row = (name: string, s: PrioritySummary): string =>
  `| ${name} | ${s.total} | ${s.ok} (${Math.round(s.okFraction * 100)}%) | ${s.shed429} ` +
  `(${Math.round(s.shedFraction * 100)}%) | ${s.deadline504} | ${s.unavailable503} | ` +
  `${JSON.stringify(s.otherStatus)} | ${s.hung} | ${s.connectionErrors} | ${s.admittedP50Ms} | ${s.admittedP99Ms} |`;

/** Markdown report; also draws overload.png next to it. */
export function renderOverloadReport(results: OverloadResults, resultsDir: string): string {
  const { machine, settings } = results;
  const rssValues = results.rss.map((point) => point.rssMiB);
  plotLines(join(resultsDir, 'overload.png'), 'Detect at ~10× capacity (embedded backend)', [
    {
      title: 'requests per second, by the second they were sent',
      xlabel: 'second',
      ylabel: 'requests',
      series: [
        {
          label: 'offered',
          x: results.perSecond.map((b) => b.second),
          y: results.perSecond.map((b) => b.offered),
        },
        {
          label: 'admitted (200)',
          x: results.perSecond.map((b) => b.second),
          y: results.perSecond.map((b) => b.ok),
        },
        {
          label: 'shed (429)',
          x: results.perSecond.map((b) => b.second),
          y: results.perSecond.map((b) => b.shed),
        },
        {
          label: 'deadline (504)',
          x: results.perSecond.map((b) => b.second),
          y: results.perSecond.map((b) => b.expired),
        },
      ],
    },
    {
      title: 'admitted requests: p99 latency by second sent',
      xlabel: 'second',
      ylabel: 'ms',
      series: [
        {
          label: 'p99 of 200s',
          x: results.perSecond.map((b) => b.second),
          y: results.perSecond.map((b) => b.admittedP99Ms),
        },
      ],
    },
    {
      title: 'gateway RSS',
      xlabel: 'seconds since the overload started',
      ylabel: 'MiB',
      series: [{ label: 'RSS', x: results.rss.map((p) => p.tS), y: rssValues, style: 'step' }],
    },
  ]);
  return [
    '# overload',
    '',
    `Open-loop detect load (\`POST /v1/models/nanodet/detect\`, five sample images in rotation, ` +
      `Poisson arrivals) at ${String(settings.overloadFactor)}× the capacity a closed loop measured ` +
      `first, for ${String(settings.durationS)} s, against one gateway child on the embedded backend. ` +
      `${Math.round(Number(settings.realtimeShare) * 100)}% of requests are \`x-priority: realtime\`, ` +
      `the rest \`bulk\`; each carries \`X-Request-Timeout: ${String(settings.deadlineMs)}\`.`,
    '',
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; ` +
      `commit ${machine.gitCommit.slice(0, 12)}${machine.gitDirty ? ' (dirty)' : ''}; ${machine.date}. ` +
      `Load average at start ${machine.loadAverageAtStart.join(' / ')}, at end ${results.loadAverageAtEnd.join(' / ')}. ` +
      'The load generator shares the two cores with the gateway.',
    '',
    `Capacity (closed loop, c=${String(settings.capacityConcurrency)}): **${results.capacityImagesPerSecond} images/s**. ` +
      `Offered: **${results.offeredPerSecond} requests/s**.`,
    '',
    '| priority | requests | admitted (200) | shed (429) | deadline (504) | 503 | other | hung | conn. errors | admitted p50 ms | admitted p99 ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |',
    row('all', results.overall),
    row('realtime', results.byPriority.realtime),
    row('bulk', results.byPriority.bulk),
    '',
    `Gateway RSS: ${Math.min(...rssValues)}–${Math.max(...rssValues)} MiB during the run, ` +
      `${rssValues[rssValues.length - 1]} MiB 3 s after it. A detect right after the overload answered ` +
      `${String(results.statusAfterOverload)}.`,
    '',
    '![overload](overload.png)',
    '',
    ...(results.breaker ? renderBreakerSection(results.breaker, resultsDir) : []),
  ].join('\n');
}
