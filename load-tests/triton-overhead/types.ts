import type { MachineInfo } from '../lib/machine-info';
import type { DetectCell } from './detect-phase';

/**
 * What perf_analyzer talks to: Triton itself, the gateway, a reference proxy in front of Triton, or
 * a floor: the least a Node.js pass-through can cost with grpc-js, or with node:http2 alone.
 */
export const FRONTS = [
  'direct',
  'gateway',
  'envoy',
  'nginx',
  'grpc-js-floor',
  'node-http2-floor',
] as const;
export type Front = (typeof FRONTS)[number];
/** Fronts that speak gRPC only. */
export const GRPC_ONLY: ReadonlySet<Front> = new Set(['grpc-js-floor', 'node-http2-floor']);
export const CELL_TARGETS = FRONTS.flatMap((front) =>
  (GRPC_ONLY.has(front) ? (['grpc'] as const) : (['http', 'grpc'] as const)).map(
    (protocol) => `${front}-${protocol}` as const,
  ),
);
export type CellTarget = `${Front}-${'http' | 'grpc'}`;

/** A target's front and protocol (front names may contain '-'). */
export function splitTarget(target: CellTarget): [Front, 'http' | 'grpc'] {
  const cut = target.lastIndexOf('-');
  return [target.slice(0, cut) as Front, target.slice(cut + 1) as 'http' | 'grpc'];
}

/** One perf_analyzer run: one target over one protocol at one concurrency. */
export interface Cell {
  target: CellTarget;
  protocol: 'http' | 'grpc';
  concurrency: number;
  ok: boolean;
  /** Inferences per second over the measured windows (perf_analyzer). */
  throughput?: number;
  p50Ms?: number;
  p90Ms?: number;
  p99Ms?: number;
  /** Mean latency: the sum of perf_analyzer's client/server breakdown columns. */
  avgMs?: number;
  /** Wall time of the whole perf_analyzer run (warm-up, data generation and all windows). */
  analyzerWallS: number;
  front: Front;
  /** Inferences Triton completed during the run (its nv_inference_count), whoever sent them. */
  inferencesServed: number;
  /** CPU seconds of the front (gateway child or proxy processes) during the whole run; 0 for direct. */
  frontCpuS: number;
  /** frontCpuS ÷ inferencesServed: what passing one inference through costs the front. */
  frontCpuMsPerInfer?: number;
  /** CPU seconds of Triton's process group (server + Python-backend stub) during the run. */
  tritonCpuS: number;
  /** tritonCpuS ÷ inferencesServed. */
  tritonCpuMsPerInfer?: number;
  /** VmHWM of the gateway child over the run (reset before it when peakRssReset); gateway cells. */
  gatewayPeakRssMiB?: number;
  peakRssReset?: boolean;
  error?: string;
}

export interface TritonOverheadResults {
  benchmark: 'triton-overhead';
  machine: MachineInfo;
  loadAverageAtEnd: number[];
  versions: Record<string, string>;
  settings: Record<string, unknown>;
  addresses: Partial<Record<CellTarget, string>>;
  cells: Cell[];
  /** The gateway's detect path (image in, boxes out) on Triton vs on the embedded backend. */
  detect: DetectCell[];
}
