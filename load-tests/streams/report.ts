import type { ErrorTableRow } from '@vision-forecast';
import { round } from '../lib/latency-stats';
import type { MachineInfo } from '../lib/machine-info';
import { plotLines } from '../lib/plot';
import type { StreamsRow } from './measure';
import { DEFAULT_FRAME_DEADLINE_MS, TARGET_P99_MS, type StreamsBenchSettings } from './settings';
import type { TrackerCost } from './tracker-cost';

export interface StreamsReport {
  machine: MachineInfo;
  settings: StreamsBenchSettings;
  /** Wall time of the whole benchmark, frame extraction to report. */
  wallSeconds: number;
  rows: StreamsRow[];
  largestNMeetingTarget: number | null;
  tracker: TrackerCost;
  forecasts: ErrorTableRow[];
}

const drops = (byReason: Record<string, number>): string =>
  Object.entries(byReason)
    .map(([reason, n]) => `${n} ${reason}`)
    .join(', ') || '0';

const sameDrops = (a: Record<string, number>, b: Record<string, number>): boolean =>
  [...new Set([...Object.keys(a), ...Object.keys(b)])].every((k) => (a[k] ?? 0) === (b[k] ?? 0));

const pct = (part: number, whole: number): string => `${round((part / whole) * 100, 0)} %`;

const servedTotal = (r: StreamsRow): number => round(r.servedFpsPerStream * r.streams, 1);

function latencyTable(rows: readonly StreamsRow[]): string[] {
  return [
    '| streams | sent | served | dropped, told to clients | dropped, gateway /metrics | served FPS / stream | p50 ms | p90 ms | p99 ms | max ms | gateway CPU ms / served frame | cores busy: gateway / client / other |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.streams} | ${r.sent} | ${r.served} | ${drops(r.dropped)} | ${drops(r.gatewayDropped)} | ${r.servedFpsPerStream} | ${round(r.latency.p50Ms, 1)} | ${round(r.latency.p90Ms, 1)} | ${round(r.latency.p99Ms, 1)} | ${round(r.latency.maxMs, 1)} | ${r.gatewayCpuMsPerFrame} | ${r.gatewayCores} / ${r.clientCores} / ${r.otherCores} |`,
    ),
  ];
}

function stageTable(
  rows: readonly StreamsRow[],
  of: (r: StreamsRow) => Record<string, number>,
): string[] {
  const stages = [...new Set(rows.flatMap((r) => Object.keys(of(r))))];
  return [
    `| streams | ${stages.join(' | ')} |`,
    `|---|${stages.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.streams} | ${stages.map((s) => of(r)[s] ?? '–').join(' | ')} |`),
  ];
}

function forecastVerdict(cv: number, ridge: number): string {
  // Until it has enough finished forecasts per horizon the ridge model forecasts as constant velocity.
  if (Math.abs(ridge - cv) < 1e-6) {
    return ': identical, the ridge model never left its constant-velocity prior on a run this short';
  }
  const change = `${pct(Math.abs(cv - ridge), cv)} ${ridge < cv ? 'better' : 'worse'}`;
  return Math.abs(ridge - cv) / cv < 0.05 ? ` (${change}: no real difference)` : ` (${change})`;
}

/** Said only when the most streams got far fewer frames served than the best N did. */
function collapse(rows: readonly StreamsRow[]): string {
  const last = rows[rows.length - 1];
  const best = rows.reduce((a, b) => (servedTotal(b) > servedTotal(a) ? b : a));
  if (servedTotal(last) >= 0.5 * servedTotal(best)) return '';
  return `At N = ${last.streams} throughput collapses rather than levels off (${servedTotal(last)} frames/s against ${servedTotal(best)} at N = ${best.streams}): with ${last.streams} streams sharing the cores a frame's work (median ${last.stageMedianMs.total} ms) plus its wait reaches the default frame deadline (${DEFAULT_FRAME_DEADLINE_MS} ms), so most frames are dropped as \`deadline\`, many after part of their work was done: the gateway's CPU per served frame rises to ${last.gatewayCpuMsPerFrame} ms (${rows[0].gatewayCpuMsPerFrame} ms at N = ${rows[0].streams}).`;
}

/** The paragraph under the tables, from the numbers, so a rerun cannot leave it saying old things. */
function whatThisSays(report: StreamsReport): string {
  const { rows, tracker, forecasts, machine, largestNMeetingTarget: largest } = report;
  const first = rows[0];
  const last = rows[rows.length - 1];
  const mean = first.stageMeanMs;
  const work = mean.total ?? Number.NaN;
  const detect = ['checks', 'admit', 'decode', 'preprocess', 'infer', 'postprocess'].reduce(
    (s, k) => s + (mean[k] ?? 0),
    0,
  );
  const cheap = (mean.track ?? 0) + (mean.forecast ?? 0);
  const fde = (model: string, horizon: number): number =>
    forecasts.find((f) => f.model === model && f.horizonMs === horizon)?.fdePx ?? Number.NaN;
  const longest = Math.max(...forecasts.map((f) => f.horizonMs));
  const cv = fde('constant velocity', longest);
  const ridge = fde('online ridge', longest);
  const reid = first.latencyByReid;
  const busiestOther = Math.max(...rows.map((r) => r.otherCores));
  const agree = rows.every((r) => sameDrops(r.dropped, r.gatewayDropped));
  return [
    `**What this says.** ${largest === null ? `No N met the design target (p99 < ${TARGET_P99_MS} ms, no drops) on this ${machine.cores}-core CPU-only machine` : `The design target (p99 < ${TARGET_P99_MS} ms, no drops) held up to N = ${largest} on this ${machine.cores}-core CPU-only machine`}.`,
    `At N = ${first.streams} a frame takes ${round(work, 1)} ms of gateway work on average (median ${first.stageMedianMs.total} ms) against a ${TARGET_P99_MS} ms frame interval, and the gateway uses ${first.gatewayCpuMsPerFrame} ms of CPU per served frame (${first.gatewayCores} of ${machine.cores} cores busy, ONNX Runtime's spinning threads included).`,
    `Frames that embedded crops for re-identification have p99 ${round(reid.embedded.p99Ms, 0)} ms (${reid.embedded.count} frames), the others ${round(reid.none.p99Ms, 0)} ms (${reid.none.count}).`,
    busiestOther >= 0.2
      ? `Other processes kept ${busiestOther} of ${machine.cores} cores busy in the busiest window (the last column), so these absolute numbers are worse than a quiet machine's.`
      : 'Nothing else of note ran during the windows (last column).',
    `Where a frame's time goes (N = ${first.streams}, means): detection ${round(detect, 1)} ms (${pct(detect, work)}; inference alone ${mean.infer} ms, preprocessing ${mean.preprocess} ms), re-identification ${mean.reidentify ?? 0} ms (${pct(mean.reidentify ?? 0, work)}; a track is embedded when new and about once a second, so most frames embed nothing and a few pay for several crops), tracking and forecasting together ${round(cheap, 2)} ms.`,
    `Frames served per second in total: ${rows.map((r) => `${servedTotal(r)} at N = ${r.streams}`).join(', ')}${Math.max(...rows.map(servedTotal)) < 1.2 * servedTotal(first) ? ' — no N gets much more served than the first: the machine is saturated from it on' : ''}. LATEST keeps only the newest waiting frame per stream, so latency stays bounded (p99 ${round(last.latency.p99Ms, 0)} ms at N = ${last.streams}) while the drop rate grows (${round(last.dropRate * 100, 1)} % at N = ${last.streams}).`,
    last.stageMedianMs.admit >= 10
      ? `With more streams than the backend runs at once, frames also wait for it in admission (\`admit\`, median ${last.stageMedianMs.admit} ms at N = ${last.streams}) and inference itself slows as the streams share the cores (median ${last.stageMedianMs.infer} ms).`
      : '',
    collapse(rows),
    `The drop notices the clients got ${agree ? 'match' : 'do not match'} the gateway's own counter per reason${agree ? '' : ' (see the table)'}.`,
    `The tracker costs ${round(tracker.oursMsPerFrame, 3)} ms a frame, ${round(1 / tracker.ratio, 1)}× faster than sv.ByteTrack (target ≥ 10×), noise next to inference.`,
    `On these tracks the online ridge model's ${longest / 1000} s FDE is ${round(ridge, 1)} px against constant velocity's ${round(cv, 1)} px${forecastVerdict(cv, ridge)}.`,
  ]
    .filter(Boolean)
    .join(' ');
}

export function markdown(report: StreamsReport): string {
  const { rows, tracker, forecasts, machine, settings, largestNMeetingTarget: largest } = report;
  return [
    '# Camera streams',
    '',
    `N concurrent StreamTrack streams, each replaying vtest.avi (768×576 JPEG) at 10 FPS for ${settings.seconds} s from its own offset into the clip, policy LATEST, the default frame deadline, nanodet (people), re-identification (appearance model) and forecasting on; one gateway process, embedded ONNX Runtime (${settings.ortThreads} intra-op threads). Machine: ${machine.cores} CPU cores (${machine.cpuModel}), no GPU, shared (load average ${machine.loadAverageAtStart.join(' / ')} at start). Latency: frame written → its result received, client clock. \`npm run bench:streams\` (${round(report.wallSeconds / 60, 1)} min).`,
    '',
    ...latencyTable(rows),
    '',
    `**Design target** (p99 < ${TARGET_P99_MS} ms with no drops): ${largest === null ? 'met at no N on this machine' : `held up to **N = ${largest}** streams`}.`,
    '',
    "Per-stage time of served frames (ms, from the results' `timings_ms`; `queue` is the wait in the stream's queue, `total` the gateway's work after it; `checks` = authorize, rate-limit, route, precheck; `postprocess` = decode-detections, nms, map-boxes). Medians:",
    '',
    ...stageTable(rows, (r) => r.stageMedianMs),
    '',
    'Means (what a frame costs on average; a stage that did not run counts 0):',
    '',
    ...stageTable(rows, (r) => r.stageMeanMs),
    '',
    `Objects with a global id: ${rows.map((r) => `${round(r.globalIdShare * 100, 1)} %`).join(' / ')} (N = ${rows.map((r) => r.streams).join(' / ')}).`,
    '',
    whatThisSays(report),
    '',
    '## Tracker against the reference',
    '',
    `Same recorded NanoDet detections of all ${tracker.frames} vtest.avi frames, same settings, same groupings: ours ${round(tracker.oursMsPerFrame, 3)} ms per frame, supervision 0.30.9 \`sv.ByteTrack\` ${round(tracker.referenceMsPerFrame, 3)} ms: **${round(1 / tracker.ratio, 1)}× faster** (target ≥ 10×).`,
    '',
    '## Forecasts on our own tracks',
    '',
    `ADE/FDE (px) of the foot point on the tracks of the N = ${rows[0].streams} run (each track's own later positions as truth, evaluateForecastersOnTracks):`,
    '',
    '| model | horizon s | forecasts | ADE px | FDE px |',
    '|---|---|---|---|---|',
    ...forecasts.map(
      (f) =>
        `| ${f.model} | ${f.horizonMs / 1000} | ${f.forecasts} | ${round(f.adePx, 2)} | ${round(f.fdePx, 2)} |`,
    ),
    '',
  ].join('\n');
}

export function plot(output: string, rows: readonly StreamsRow[]): void {
  const n = rows.map((r) => r.streams);
  plotLines(output, 'Camera streams at 10 FPS (LATEST)', [
    {
      title: 'frame latency, send → result',
      xlabel: 'concurrent streams',
      ylabel: 'ms',
      logx2: true,
      series: [
        { label: 'p50', x: n, y: rows.map((r) => r.latency.p50Ms) },
        { label: 'p99', x: n, y: rows.map((r) => r.latency.p99Ms) },
        { label: `${TARGET_P99_MS} ms target`, x: n, y: rows.map(() => TARGET_P99_MS) },
      ],
    },
    {
      title: 'frames dropped',
      xlabel: 'concurrent streams',
      ylabel: 'share of frames sent',
      logx2: true,
      series: [{ label: 'dropped', x: n, y: rows.map((r) => r.dropRate) }],
    },
  ]);
}
