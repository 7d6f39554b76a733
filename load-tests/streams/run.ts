/**
 * Camera streams (issue 14): N concurrent StreamTrack streams (N = 1, 2, 4, 8) each replaying
 * vtest.avi at 10 FPS with the LATEST policy, re-identification and forecasting on (the defaults),
 * against one gateway process on the embedded backend. Per N: frame latency from send to result
 * (client clock), drops by reason, the gateway's CPU per served frame (/proc, the window only) and
 * the per-stage times the results report. Then our tracker against the reference ByteTrack on the
 * same recorded detections, and the forecasters' ADE/FDE on the tracks of the N = 1 run.
 *
 * Writes load-tests/results/streams.{json,md,png}.
 *
 *   node -r @swc-node/register load-tests/streams/run.ts
 *   STREAMS_BENCH_SECONDS=5 STREAMS_BENCH_COUNTS=1,2 ...   (a short run)
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { cpuSeconds, extractVideoFrames } from '@test-support';
import {
  ConstantVelocityForecaster,
  evaluateForecastersOnTracks,
  OnlineRidgeForecaster,
  type ErrorTableRow,
  type EvaluationTrack,
} from '@vision-forecast';
import type { FrameResult } from '@contracts/generated/vision/v1/streams_pb';
import { startGatewayProcess } from '../detect-overhead/gateway-process';
import { round, summarize, type LatencySummary } from '../lib/latency-stats';
import { machineInfo } from '../lib/machine-info';
import { plotLines } from '../lib/plot';
import { replayStream, type ReplayedStream } from './stream-client';
import { measureTrackerCost, type TrackerCost } from './tracker-cost';

const RESULTS_DIR = resolve(__dirname, '../results');
const SECONDS = Number(process.env.STREAMS_BENCH_SECONDS ?? 20);
const COUNTS = (process.env.STREAMS_BENCH_COUNTS ?? '1,2,4,8').split(',').map(Number);
const TARGET_P99_MS = 100;
const ORT_THREADS = Number(process.env.STREAMS_BENCH_ORT_THREADS ?? 2);
/** Stages whose median the table shows. */
const STAGES = [
  'queue',
  'admit',
  'decode',
  'preprocess',
  'infer',
  'nms',
  'track',
  'reidentify',
  'forecast',
  'total',
];

interface StreamsRow {
  streams: number;
  sent: number;
  served: number;
  dropped: Record<string, number>;
  failed: number;
  dropRate: number;
  servedFpsPerStream: number;
  latency: LatencySummary;
  gatewayCpuMsPerFrame: number;
  stageMedianMs: Record<string, number>;
  /** Mean `reidentify` time per frame: most frames embed nothing (tracks refresh once a second). */
  reidentifyMeanMs: number;
  /** Share of answered objects that carry a global id. */
  globalIdShare: number;
}

function log(message: string): void {
  console.log(`[bench:streams] ${message}`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : Number.NaN;
}

function rowOf(streams: number, replays: ReplayedStream[], cpuS: number): StreamsRow {
  const sent = replays.reduce((sum, r) => sum + r.sent, 0);
  const served = replays.reduce((sum, r) => sum + r.served.length, 0);
  const dropped: Record<string, number> = {};
  for (const replay of replays)
    for (const [reason, count] of replay.dropped) dropped[reason] = (dropped[reason] ?? 0) + count;
  const results = replays.flatMap((r) => r.served);
  return {
    streams,
    sent,
    served,
    dropped,
    failed: replays.reduce((sum, r) => sum + r.failed, 0),
    dropRate: round(1 - served / sent, 4),
    servedFpsPerStream: round(served / streams / SECONDS, 2),
    latency: summarize(replays.flatMap((r) => r.latenciesMs)),
    gatewayCpuMsPerFrame: round((cpuS * 1000) / Math.max(served, 1), 2),
    reidentifyMeanMs: round(
      results.reduce((sum, r) => sum + (r.timingsMs.reidentify ?? 0), 0) /
        Math.max(results.length, 1),
      2,
    ),
    globalIdShare: round(
      results.flatMap((r) => r.objects).filter((o) => o.globalId > 0n).length /
        Math.max(results.flatMap((r) => r.objects).length, 1),
      3,
    ),
    stageMedianMs: Object.fromEntries(
      STAGES.map((stage) => [
        stage,
        round(median(results.map((r) => r.timingsMs[stage]).filter((v) => v !== undefined)), 2),
      ]),
    ),
  };
}

/** Foot points per track, as forecasting reads them, from one stream's answers. */
function tracksOf(results: FrameResult[]): EvaluationTrack[] {
  const tracks = new Map<string, { tMs: number; x: number; y: number }[]>();
  for (const result of results) {
    for (const object of result.objects) {
      const { x1, x2, y2 } = object.box!;
      const id = `${result.cameraId}:${object.trackId}`;
      const points = tracks.get(id) ?? [];
      points.push({ tMs: Number(result.captureTimeMs), x: (x1 + x2) / 2, y: y2 });
      tracks.set(id, points);
    }
  }
  return [...tracks].map(([id, points]) => ({ id, points }));
}

function markdown(rows: StreamsRow[], tracker: TrackerCost, forecasts: ErrorTableRow[]): string {
  const best = rows.filter((r) => r.latency.p99Ms < TARGET_P99_MS && r.served === r.sent);
  const largest = best.length ? Math.max(...best.map((r) => r.streams)) : undefined;
  const machine = machineInfo();
  const lines = [
    '# Camera streams',
    '',
    `N concurrent StreamTrack streams, each replaying vtest.avi (768×576 JPEG) at 10 FPS for ${SECONDS} s, policy LATEST, nanodet (people), re-identification (appearance model) and forecasting on; one gateway process, embedded ONNX Runtime (${ORT_THREADS} intra-op threads), ${machine.cores} CPU cores (${machine.cpuModel}), no GPU. Latency: frame sent → result received, client clock. \`npm run bench:streams\`.`,
    '',
    '| streams | sent | served | dropped (reason) | served FPS / stream | p50 ms | p90 ms | p99 ms | max ms | gateway CPU ms / frame |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.streams} | ${r.sent} | ${r.served} | ${
          Object.entries(r.dropped)
            .map(([k, v]) => `${v} ${k}`)
            .join(', ') || '0'
        } | ${r.servedFpsPerStream} | ${round(r.latency.p50Ms, 1)} | ${round(r.latency.p90Ms, 1)} | ${round(r.latency.p99Ms, 1)} | ${round(r.latency.maxMs, 1)} | ${r.gatewayCpuMsPerFrame} |`,
    ),
    '',
    `**Design target** (p99 < ${TARGET_P99_MS} ms with no drops): ${largest === undefined ? 'met at no N on this machine' : `held up to **N = ${largest}** streams`}.`,
    '',
    "Median per-stage time of served frames (ms, from the results' `timings_ms`):",
    '',
    `| streams | ${STAGES.join(' | ')} |`,
    `|---|${STAGES.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.streams} | ${STAGES.map((s) => r.stageMedianMs[s]).join(' | ')} |`),
    '',
    `Re-identification: mean ${rows.map((r) => `${r.reidentifyMeanMs} ms`).join(' / ')} per frame (N = ${rows.map((r) => r.streams).join(' / ')}: a track is embedded when new and once a second, so most frames embed nothing); objects with a global id: ${rows.map((r) => `${round(r.globalIdShare * 100, 1)} %`).join(' / ')}.`,
    '',
    '## Tracker against the reference',
    '',
    `Same recorded NanoDet detections of all ${tracker.frames} vtest.avi frames, same settings, same groupings: ours ${round(tracker.oursMsPerFrame, 3)} ms per frame, supervision 0.30.9 \`sv.ByteTrack\` ${round(tracker.referenceMsPerFrame, 3)} ms: **${round(1 / tracker.ratio, 1)}× faster** (target ≥ 10×).`,
    '',
    '## Forecasts on our own tracks',
    '',
    'ADE/FDE (px) of the foot point on the tracks of the N = 1 run (their own later positions as truth):',
    '',
    '| model | horizon ms | forecasts | ADE px | FDE px |',
    '|---|---|---|---|---|',
    ...forecasts.map(
      (f) =>
        `| ${f.model} | ${f.horizonMs} | ${f.forecasts} | ${round(f.adePx, 2)} | ${round(f.fdePx, 2)} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const frames = extractVideoFrames('vtest.avi', { count: 400 });
  log(`${frames.length} frames of vtest.avi; starting the gateway`);
  // Both cores for one inference: at 10 FPS a frame must be done within 100 ms, and NanoDet on one
  // thread of this CPU alone takes ~70 ms.
  const gateway = await startGatewayProcess(ORT_THREADS);
  const rows: StreamsRow[] = [];
  let firstRun: ReplayedStream[] = [];
  try {
    // Warm-up: ONNX Runtime's first runs of both models are slow.
    await replayStream(gateway.grpcAddress, 'warm-up', frames, { offset: 0, durationMs: 3000 });
    for (const streams of COUNTS) {
      const cpuBefore = cpuSeconds(gateway.pid);
      const replays = await Promise.all(
        Array.from({ length: streams }, (_, index) =>
          replayStream(gateway.grpcAddress, `camera-${streams}-${index}`, frames, {
            offset: index * 47,
            durationMs: SECONDS * 1000,
          }),
        ),
      );
      const row = rowOf(streams, replays, cpuSeconds(gateway.pid) - cpuBefore);
      if (streams === COUNTS[0]) firstRun = replays;
      rows.push(row);
      log(
        `N=${streams}: served ${row.served}/${row.sent}, p50 ${round(row.latency.p50Ms, 1)} ms, p99 ${round(row.latency.p99Ms, 1)} ms, CPU ${row.gatewayCpuMsPerFrame} ms/frame`,
      );
    }
  } finally {
    await gateway.stop();
  }
  log('tracker cost against sv.ByteTrack');
  const tracker = await measureTrackerCost();
  const forecasts = evaluateForecastersOnTracks(
    tracksOf(firstRun.flatMap((r) => r.served)),
    {
      'constant velocity': new ConstantVelocityForecaster(),
      'online ridge': new OnlineRidgeForecaster(),
    },
    [500, 1000, 2000],
  );
  const report = { machine: machineInfo(), seconds: SECONDS, rows, tracker, forecasts };
  writeFileSync(resolve(RESULTS_DIR, 'streams.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(resolve(RESULTS_DIR, 'streams.md'), markdown(rows, tracker, forecasts));
  plotLines(resolve(RESULTS_DIR, 'streams.png'), 'Camera streams at 10 FPS (LATEST)', [
    {
      title: 'frame latency, send → result',
      xlabel: 'concurrent streams',
      ylabel: 'ms',
      logx2: true,
      series: [
        { label: 'p50', x: rows.map((r) => r.streams), y: rows.map((r) => r.latency.p50Ms) },
        { label: 'p99', x: rows.map((r) => r.streams), y: rows.map((r) => r.latency.p99Ms) },
        {
          label: '100 ms target',
          x: rows.map((r) => r.streams),
          y: rows.map(() => TARGET_P99_MS),
        },
      ],
    },
    {
      title: 'frames dropped',
      xlabel: 'concurrent streams',
      ylabel: 'share of frames sent',
      logx2: true,
      series: [{ label: 'dropped', x: rows.map((r) => r.streams), y: rows.map((r) => r.dropRate) }],
    },
  ]);
  log('wrote load-tests/results/streams.{json,md,png}');
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
