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
  /** Detect latency one request at a time, before the overload. */
  unloadedP50Ms: number;
  unloadedP99Ms: number;
  offeredPerSecond: number;
  overall: PrioritySummary;
  byPriority: { realtime: PrioritySummary; bulk: PrioritySummary };
  perSecond: SecondBucket[];
  rss: { tS: number; rssMiB: number }[];
  statusAfterOverload: Outcome;
  /** Admission's refusals by kind and reason, from the gateway's /metrics, and its learnt limit. */
  admissionRefusals: Record<string, number>;
  /** CPU used during the overload window, in cores: the gateway and the load generator. */
  coresBusy: { gateway: number; loadGenerator: number };
  /** Median wall time of each stage (`timingsMs`) of the calls answered during the overload... */
  admittedStagesP50Ms: Record<string, number>;
  /** ...and of the unloaded (c=1) calls. */
  unloadedStagesP50Ms: Record<string, number>;
  /** Absent when run with BENCH_BREAKER=0. */
  breaker?: BreakerPhaseResults;
}

const row = (name: string, s: PrioritySummary): string =>
  `| ${name} | ${s.total} | ${s.ok} (${Math.round(s.okFraction * 100)}%) | ${s.shed429} ` +
  `(${Math.round(s.shedFraction * 100)}%) | ${s.deadline504} | ${s.unavailable503} | ` +
  `${JSON.stringify(s.otherStatus)} | ${s.hung} | ${s.connectionErrors} | ${s.admittedP50Ms} | ${s.admittedP99Ms} | ` +
  `${s.refusedP50Ms} | ${s.refusedP99Ms} |`;

/** The design target for admission at 10× load, measured against this run. */
export function designTargets(results: OverloadResults): string[] {
  const { overall } = results;
  const servedPerSecond = overall.ok / Number(results.settings.durationS);
  const servedShare = servedPerSecond / results.capacityImagesPerSecond;
  const verdict = (met: boolean) => (met ? 'met' : '**missed**');
  return [
    '| design target | measured | |',
    '| --- | --- | --- |',
    `| admitted p99 ≤ 2× unloaded p99 (${results.unloadedP99Ms} ms → ≤ ${round1(2 * results.unloadedP99Ms)} ms) | ${overall.admittedP99Ms} ms (${round1(overall.admittedP99Ms / results.unloadedP99Ms)}×) | ${verdict(overall.admittedP99Ms <= 2 * results.unloadedP99Ms)} |`,
    `| served ≥ 90% of closed-loop capacity (${results.capacityImagesPerSecond}/s) | ${round1(servedPerSecond)}/s (${Math.round(servedShare * 100)}%) | ${verdict(servedShare >= 0.9)} |`,
    `| refusals answered within 10 ms (p99) | p50 ${overall.refusedP50Ms} ms, p99 ${overall.refusedP99Ms} ms | ${verdict(overall.refusedP99Ms <= 10)} |`,
  ];
}

const round1 = (value: number): number => Math.round(value * 10) / 10;

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
      `Unloaded (c=1): p50 ${results.unloadedP50Ms} ms, p99 ${results.unloadedP99Ms} ms. ` +
      `Offered: **${results.offeredPerSecond} requests/s**. Gateway settings: ` +
      `${JSON.stringify(settings.gatewayEnv ?? {})} on top of its defaults.`,
    '',
    ...designTargets(results),
    '',
    '| priority | requests | admitted (200) | shed (429) | deadline (504) | 503 | other | hung | conn. errors | admitted p50 ms | admitted p99 ms | refused p50 ms | refused p99 ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    row('all', results.overall),
    row('realtime', results.byPriority.realtime),
    row('bulk', results.byPriority.bulk),
    '',
    `Admission's own count of its refusals, by reason: \`${JSON.stringify(results.admissionRefusals)}\` ` +
      '(`shed:wait_target`: refused at once, the wait would pass its target; `shed:waited`: refused in the queue at twice its target; `expired:*`: 504 on arrival, as ' +
      'infeasible, in the queue or at the backend; `limitAtEnd`: the in-flight limit learnt).',
    '',
    "Where an answered call spends its time (median of each stage, ms, from the answers' `timingsMs`):",
    '',
    `| | ${Object.keys(results.unloadedStagesP50Ms).join(' | ')} |`,
    `| --- |${Object.keys(results.unloadedStagesP50Ms)
      .map(() => ' ---: |')
      .join('')}`,
    `| unloaded (c=1) | ${Object.values(results.unloadedStagesP50Ms).join(' | ')} |`,
    `| admitted during the overload | ${Object.keys(results.unloadedStagesP50Ms)
      .map((stage) => results.admittedStagesP50Ms[stage] ?? '')
      .join(' | ')} |`,
    '',
    `CPU during the overload: the gateway ${results.coresBusy.gateway} cores, the load generator ` +
      `${results.coresBusy.loadGenerator} cores, of ${machine.cores}.`,
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
