import type { MachineInfo } from '../lib/machine-info';
import type { Agreement } from './agreement';
import type { ModelScalingPoint } from './model-scaling';
import type { Configuration, Tier } from './configurations';
import type { BatchingBenchSettings } from './settings';

/** One configuration at one closed-loop concurrency. */
export interface Cell {
  tier: Tier;
  configuration: string;
  concurrency: number;
  /** Latency samples: every request sent inside the window (nearest-rank percentiles over them). */
  samples: number;
  /** Requests answered inside the window per second. */
  requestsPerSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Failed requests, warm-up included: any makes the cell suspect. */
  errors: number;
  errorMessages: string[];
  /** Gateway child CPU seconds over the window, per answered request, and as cores busy. */
  gatewayCpuMsPerRequest: number;
  gatewayCpuCores: number;
  /** Gateway child VmHWM over the window (reset before it when peakRssReset). */
  gatewayPeakRssMiB: number;
  peakRssReset: boolean;
  /** Interop: Triton's process group (server and Python-backend stub) CPU per answered request. */
  tritonCpuMsPerRequest?: number;
  /** Interop: images per model execution at Triton (nv_inference_count / nv_inference_exec_count). */
  tritonMeanBatchSize?: number;
  /** The gateway's batches in the window: images per batch (gateway batching only). */
  meanBatchSize?: number;
  batchesPerSecond?: number;
  /** Adaptive mode at the end of the window: its limits and the p99 it last acted on. */
  adaptive?: { maxBatchSize?: number; maxQueueDelayMs?: number; observedP99Ms?: number };
}

/** A design target of issue 5, checked against the measurements (reported, never asserted). */
export interface TargetCheck {
  concurrency: number;
  target: string;
  measured: string;
  met: boolean | undefined;
}

export interface BatchingResults {
  benchmark: 'batching';
  machine: MachineInfo;
  loadAverageAtEnd: number[];
  versions: Record<string, string>;
  settings: BatchingBenchSettings & {
    model: string;
    images: string[];
    p99ObjectiveMs: number;
    percentileMethod: 'nearest-rank';
  };
  configurations: Configuration[];
  /** Bare ONNX Runtime cost per batch size, measured before the tiers. */
  modelScaling: ModelScalingPoint[];
  /** The order configurations ran in at each concurrency (rotated, so drift spreads over them). */
  schedule: { tier: Tier; concurrency: number; order: string[] }[];
  agreement: Agreement[];
  cells: Cell[];
  targets: TargetCheck[];
  totalErrors: number;
}
