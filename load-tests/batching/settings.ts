import { resolve } from 'node:path';
import { numberFrom } from '@test-support';

export const REPO_ROOT = resolve(__dirname, '../..');
export const RESULTS_DIR = resolve(REPO_ROOT, 'load-tests/results');
export const MODEL = 'nanodet';
/** nanodet's own objective (config.pbtxt parameter gateway.batching.p99_objective_ms). */
export const P99_OBJECTIVE_MS = 100;

export interface BatchingBenchSettings {
  concurrencies: number[];
  /** Closed-loop warm-up before each measured window, discarded (adaptive mode tunes itself here). */
  warmupMs: number;
  windowMs: number;
  /** ONNX Runtime intra-op threads of the embedded backend (the gateway children). */
  ortIntraOpThreads: number;
  /** ONNX Runtime intra-op threads of Triton's model instance (the interop tier). */
  tritonIntraOpThreads: number;
  /** Run the interop tier (real Triton); BENCH_INTEROP=0 leaves it out. */
  interop: boolean;
  /** grpc-js channels (separate HTTP/2 connections) the load is spread over. */
  channels: number;
  /** Per-request limit, so a hung gateway turns into errors instead of a hung benchmark. */
  requestTimeoutMs: number;
  /** Whole-run limit: past it everything started here is killed and the run exits 2. */
  watchdogSeconds: number;
}

function concurrencies(raw: string | undefined): number[] {
  if (raw === undefined || raw.trim() === '') return [1, 4, 16, 64];
  const list = raw.split(',').map((item) => Number(item.trim()));
  if (list.some((item) => !Number.isInteger(item) || item < 1)) {
    throw new Error(`BENCH_CONCURRENCIES must list positive integers, got '${raw}'`);
  }
  // Ascending: adaptive mode carries its state from one concurrency to the next, as load grows.
  return [...new Set(list)].sort((a, b) => a - b);
}

/**
 * Defaults: 9 configurations (5 embedded, 4 interop) × 4 concurrencies × (5 s + 12 s, plus the
 * stragglers of each window) ≈ 11 min of load, plus about 2 min of gateway and Triton start-ups:
 * within 15 min on 2 cores.
 */
export function loadSettings(env: NodeJS.ProcessEnv): BatchingBenchSettings {
  return {
    concurrencies: concurrencies(env.BENCH_CONCURRENCIES),
    warmupMs: numberFrom(env, 'BENCH_WARMUP_MS', 5000),
    windowMs: numberFrom(env, 'BENCH_WINDOW_MS', 12_000, 1),
    // One intra-op thread, as the other benchmarks: see load-tests/README.md "ONNX Runtime threads".
    ortIntraOpThreads: Math.round(numberFrom(env, 'ORT_INTRA_OP_THREADS', 1)),
    tritonIntraOpThreads: 1,
    interop: env.BENCH_INTEROP !== '0',
    channels: Math.max(1, Math.round(numberFrom(env, 'BENCH_CHANNELS', 4, 1))),
    requestTimeoutMs: 60_000,
    watchdogSeconds: numberFrom(env, 'BENCH_WATCHDOG_S', 1800, 1),
  };
}
