import type { FrameResult } from '@contracts/generated/vision/v1/streams_pb';
import { round, summarize, type LatencySummary } from '../lib/latency-stats';
import type { ReplayedStream } from './stream-client';

/**
 * Report columns in the order a frame goes through them, each the sum of the gateway's stages it
 * names (the small request-path checks and the box post-processing are grouped); a stage the
 * gateway reports that no column names lands in `other`.
 */
const COLUMNS: Record<string, string[]> = {
  queue: ['queue'],
  checks: ['authorize', 'rate-limit', 'route', 'precheck'],
  admit: ['admit'],
  decode: ['decode'],
  preprocess: ['preprocess'],
  infer: ['infer'],
  postprocess: ['decode-detections', 'nms', 'map-boxes'],
  track: ['track'],
  reidentify: ['reidentify'],
  forecast: ['forecast'],
  total: ['total'],
};
const NAMED = new Set(Object.values(COLUMNS).flat());

/** A frame counts as having re-identified when that stage took this long (embedding crops). */
const EMBEDDED_MS = 1;

export interface StreamsRow {
  streams: number;
  sent: number;
  served: number;
  /** By reason, from the drop notices the clients received. */
  dropped: Record<string, number>;
  /** By reason, from the gateway's gateway_stream_frames_dropped_total over the window. */
  gatewayDropped: Record<string, number>;
  failed: number;
  dropRate: number;
  servedFpsPerStream: number;
  latency: LatencySummary;
  gatewayCpuMsPerFrame: number;
  /** CPU over the window as cores busy: the gateway, the load generator, everything else. */
  gatewayCores: number;
  clientCores: number;
  otherCores: number;
  stageMedianMs: Record<string, number>;
  /** Means add up to the frame's time; re-identification is bursty (median ≈ 0, mean is not). */
  stageMeanMs: Record<string, number>;
  /** Share of answered objects that carry a global id. */
  globalIdShare: number;
  /** Latency of frames that embedded crops for re-identification vs those that did not. */
  latencyByReid: { embedded: LatencySummary; none: LatencySummary };
}

export interface Window {
  streams: number;
  seconds: number;
  replays: ReplayedStream[];
  gatewayCpuSeconds: number;
  clientCpuSeconds: number;
  /** The rest of the machine (a shared machine: other people's tests). */
  otherCpuSeconds: number;
  gatewayDropped: Record<string, number>;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : Number.NaN;
}

const mean = (values: number[]): number =>
  values.reduce((sum, v) => sum + v, 0) / Math.max(values.length, 1);

/** A frame's time in each report column; a stage that did not run for it cost it nothing. */
function columnsOf(result: FrameResult): Record<string, number> {
  const timings = result.timingsMs;
  const columns = Object.fromEntries(
    Object.entries(COLUMNS).map(([column, stages]) => [
      column,
      stages.reduce((sum, stage) => sum + (timings[stage] ?? 0), 0),
    ]),
  );
  const other = Object.entries(timings).filter(([stage]) => !NAMED.has(stage));
  if (other.length) columns.other = other.reduce((sum, [, ms]) => sum + ms, 0);
  return columns;
}

function perColumn(
  results: readonly FrameResult[],
  of: (values: number[]) => number,
): Record<string, number> {
  const frames = results.map(columnsOf);
  const columns = [...new Set(frames.flatMap((f) => Object.keys(f)))];
  return Object.fromEntries(
    columns.map((column) => [column, round(of(frames.map((f) => f[column] ?? 0)), 2)]),
  );
}

function byReid(replays: readonly ReplayedStream[]): StreamsRow['latencyByReid'] {
  const embedded: number[] = [];
  const none: number[] = [];
  for (const { served, latenciesMs } of replays) {
    // Both are pushed together per answered frame: index i is one frame.
    served.forEach((result, i) =>
      ((result.timingsMs.reidentify ?? 0) >= EMBEDDED_MS ? embedded : none).push(latenciesMs[i]),
    );
  }
  return { embedded: summarize(embedded), none: summarize(none) };
}

export function rowOf(measured: Window): StreamsRow {
  const { streams, seconds, replays, gatewayCpuSeconds, gatewayDropped } = measured;
  const sent = replays.reduce((sum, r) => sum + r.sent, 0);
  const results = replays.flatMap((r) => r.served);
  const dropped: Record<string, number> = {};
  for (const replay of replays)
    for (const [reason, count] of replay.dropped) dropped[reason] = (dropped[reason] ?? 0) + count;
  const objects = results.flatMap((r) => r.objects);
  return {
    streams,
    sent,
    served: results.length,
    dropped,
    gatewayDropped,
    failed: replays.reduce((sum, r) => sum + r.failed, 0),
    dropRate: round(1 - results.length / sent, 4),
    servedFpsPerStream: round(results.length / streams / seconds, 2),
    latency: summarize(replays.flatMap((r) => r.latenciesMs)),
    gatewayCpuMsPerFrame: round((gatewayCpuSeconds * 1000) / Math.max(results.length, 1), 2),
    gatewayCores: round(gatewayCpuSeconds / seconds, 2),
    clientCores: round(measured.clientCpuSeconds / seconds, 2),
    otherCores: round(Math.max(0, measured.otherCpuSeconds) / seconds, 2),
    stageMedianMs: perColumn(results, median),
    stageMeanMs: perColumn(results, mean),
    globalIdShare: round(
      objects.filter((o) => o.globalId > 0n).length / Math.max(objects.length, 1),
      3,
    ),
    latencyByReid: byReid(replays),
  };
}

/** The largest N that met the target (p99 under it, every frame served), if any did. */
export function largestMeetingTarget(
  rows: readonly StreamsRow[],
  targetP99Ms: number,
): number | undefined {
  const meeting = rows.filter((r) => r.latency.p99Ms < targetP99Ms && r.served === r.sent);
  return meeting.length ? Math.max(...meeting.map((r) => r.streams)) : undefined;
}
