import type { MachineInfo } from '../lib/machine-info';
import type { DetectCell } from './detect-phase';

export const CELL_TARGETS = ['direct-http', 'direct-grpc', 'gateway-http', 'gateway-grpc'] as const;
export type CellTarget = (typeof CELL_TARGETS)[number];

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
  /** CPU seconds of the gateway child during that whole run (idle health checks for direct cells). */
  gatewayCpuS: number;
  /** gatewayCpuS per inference, estimated as CPU / (throughput × wall time); gateway cells only. */
  gatewayCpuMsPerInfer?: number;
  /** CPU seconds of Triton's process group (server + Python-backend stub) during the run. */
  tritonCpuS: number;
  /** tritonCpuS per inference, same estimate as gatewayCpuMsPerInfer. */
  tritonCpuMsPerInfer?: number;
  /** VmHWM of the gateway child over the run (reset before it when peakRssReset). */
  gatewayPeakRssMiB: number;
  peakRssReset: boolean;
  error?: string;
}

export interface TritonOverheadResults {
  benchmark: 'triton-overhead';
  machine: MachineInfo;
  loadAverageAtEnd: number[];
  versions: Record<string, string>;
  settings: Record<string, unknown>;
  addresses: Record<CellTarget, string>;
  cells: Cell[];
  /** The gateway's detect path (image in, boxes out) on Triton vs on the embedded backend. */
  detect: DetectCell[];
}
