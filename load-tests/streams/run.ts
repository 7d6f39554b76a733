/**
 * Camera streams: N concurrent StreamTrack streams (N = 1, 2, 4, 8) each replaying vtest.avi at
 * 10 FPS with the LATEST policy, re-identification and forecasting on (the defaults), against one
 * gateway process on the embedded backend, so its CPU is read from /proc apart from the clients'.
 * Per N: frame latency from send to result (client clock), drops by reason (as the clients were
 * told and as the gateway counted them), the gateway's CPU per served frame and the per-stage times
 * the results report. Then our tracker against the reference ByteTrack on the same recorded
 * detections, and the forecasters' ADE/FDE on the tracks of the first (N = 1) run.
 *
 * Writes load-tests/results/streams.{json,md,png}. README.md explains the method.
 *
 *   npm run bench:streams
 *   STREAMS_BENCH_SECONDS=4 STREAMS_BENCH_COUNTS=1,2 npm run bench:streams   (a smoke run)
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { cpuSeconds, extractVideoFrames } from '@test-support';
import { startGatewayProcess, type GatewayProcess } from '../detect-overhead/gateway-process';
import { round } from '../lib/latency-stats';
import { machineInfo } from '../lib/machine-info';
import { forecastQuality } from './forecast-quality';
import { dropsBetween, gatewayDrops } from './gateway-drops';
import { machineBusySeconds, ownCpuSeconds } from './machine-load';
import { largestMeetingTarget, rowOf, type StreamsRow } from './measure';
import { markdown, plot, type StreamsReport } from './report';
import {
  benchSettings,
  CLIP_FRAMES,
  HORIZONS_MS,
  RESULTS_DIR,
  STREAM_OFFSET_FRAMES,
  TARGET_P99_MS,
  WARMUP_MS,
} from './settings';
import { replayStream, type ReplayedStream } from './stream-client';
import { measureTrackerCost } from './tracker-cost';

function log(message: string): void {
  console.log(`[bench:streams] ${message}`);
}

/** N streams at once, each from its own offset into the clip; the CPU and drops over the window. */
async function measureN(
  gateway: GatewayProcess,
  frames: readonly Buffer[],
  streams: number,
  seconds: number,
): Promise<{ row: StreamsRow; replays: ReplayedStream[] }> {
  const dropsBefore = await gatewayDrops(gateway.httpUrl);
  const cpuBefore = cpuSeconds(gateway.pid);
  const machineBefore = machineBusySeconds();
  const clientBefore = ownCpuSeconds();
  const replays = await Promise.all(
    Array.from({ length: streams }, (_, index) =>
      replayStream(gateway.grpcAddress, `camera-${streams}-${index}`, frames, {
        offset: index * STREAM_OFFSET_FRAMES,
        durationMs: seconds * 1000,
      }),
    ),
  );
  const gatewayCpuSeconds = cpuSeconds(gateway.pid) - cpuBefore;
  const clientCpuSeconds = ownCpuSeconds() - clientBefore;
  const otherCpuSeconds =
    machineBusySeconds() - machineBefore - gatewayCpuSeconds - clientCpuSeconds;
  const gatewayDropped = dropsBetween(dropsBefore, await gatewayDrops(gateway.httpUrl));
  const row = rowOf({
    streams,
    seconds,
    replays,
    gatewayCpuSeconds,
    clientCpuSeconds,
    otherCpuSeconds,
    gatewayDropped,
  });
  return { row, replays };
}

async function main(): Promise<void> {
  const started = performance.now();
  const settings = benchSettings();
  const machine = machineInfo();
  const frames = extractVideoFrames('vtest.avi', { count: CLIP_FRAMES });
  log(
    `${frames.length} frames of vtest.avi; N = ${settings.counts.join(', ')} for ${settings.seconds} s each`,
  );
  const gateway = await startGatewayProcess(settings.ortThreads);
  const rows: StreamsRow[] = [];
  let firstRun: ReplayedStream[] = [];
  try {
    // ONNX Runtime's first runs of both models (detector, appearance) are slow: not measured.
    await replayStream(gateway.grpcAddress, 'warm-up', frames, {
      offset: 0,
      durationMs: WARMUP_MS,
    });
    for (const streams of settings.counts) {
      const { row, replays } = await measureN(gateway, frames, streams, settings.seconds);
      if (rows.length === 0) firstRun = replays;
      rows.push(row);
      log(
        `N=${streams}: served ${row.served}/${row.sent}, p50 ${round(row.latency.p50Ms, 1)} ms, p99 ${round(row.latency.p99Ms, 1)} ms, CPU ${row.gatewayCpuMsPerFrame} ms/frame, other load ${row.otherCores} cores`,
      );
    }
  } finally {
    await gateway.stop();
  }
  log('tracker cost against sv.ByteTrack');
  const tracker = await measureTrackerCost();
  const forecasts = forecastQuality(
    firstRun.flatMap((r) => r.served),
    HORIZONS_MS,
  );
  const report: StreamsReport = {
    machine,
    settings,
    wallSeconds: round((performance.now() - started) / 1000, 1),
    rows,
    largestNMeetingTarget: largestMeetingTarget(rows, TARGET_P99_MS) ?? null,
    tracker,
    forecasts,
  };
  writeFileSync(resolve(RESULTS_DIR, 'streams.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(resolve(RESULTS_DIR, 'streams.md'), markdown(report));
  plot(resolve(RESULTS_DIR, 'streams.png'), rows);
  log(`wrote load-tests/results/streams.{json,md,png} in ${report.wallSeconds} s`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
