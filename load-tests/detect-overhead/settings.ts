import { resolve } from 'node:path';
import { numberFrom } from '@test-support';

export const REPO_ROOT = resolve(__dirname, '../..');
export const MODEL = 'nanodet';
export const MODEL_REPOSITORY = resolve(REPO_ROOT, 'triton-models');
export const MODEL_FILE = resolve(MODEL_REPOSITORY, MODEL, '1/model.onnx');
export const RESULTS_DIR = resolve(REPO_ROOT, 'load-tests/results');

/** A photo (JPEG), a grayscale PNG and three 768×576 video frames: the mix the docs render. */
export const IMAGE_FILES = [
  'messi5.jpg',
  'basketball1.png',
  'vtest-frames/frame-01.png',
  'vtest-frames/frame-04.png',
  'vtest-frames/frame-07.png',
];

export const PATH_NAMES = [
  'ort-direct',
  'pipeline-in-process',
  'gateway-http',
  'gateway-grpc',
] as const;
export type PathName = (typeof PATH_NAMES)[number];

export interface BenchSettings {
  concurrencies: number[];
  /** Closed-loop warm-up before each measured slice, discarded. */
  warmupSeconds: number;
  /** Measured time of one slice; a cell is `rounds` slices of one path at one concurrency. */
  sliceSeconds: number;
  /** Each round runs every path once, in a fresh random order, so drift spreads over all paths. */
  rounds: number;
  ortIntraOpThreads: number;
  /** Calls per image of the OpenCV/numpy reference pipeline (after 2 warm-up calls). */
  referenceIterations: number;
  seed: number;
  /** Per-request limit, so a hung gateway turns into errors instead of a hung benchmark. */
  requestTimeoutMs: number;
  /** Whole-run limit: past it the benchmark kills the gateway and exits non-zero. */
  watchdogSeconds: number;
}

/**
 * Defaults: 3 concurrencies × 4 paths × 3 rounds × (1.5 s + 6 s) ≈ 4.5 min of load, which gives
 * each cell 18 s of measurement (a few hundred samples on a 2-core machine).
 */
export function loadSettings(env: NodeJS.ProcessEnv): BenchSettings {
  return {
    concurrencies: (env.BENCH_CONCURRENCY ?? '1,4,16').split(',').map((value) => {
      const concurrency = Number(value);
      if (!Number.isInteger(concurrency) || concurrency < 1) {
        throw new Error(`BENCH_CONCURRENCY must list positive integers, got '${value}'`);
      }
      return concurrency;
    }),
    warmupSeconds: numberFrom(env, 'BENCH_WARMUP_S', 1.5),
    sliceSeconds: numberFrom(env, 'BENCH_SLICE_S', 6),
    rounds: Math.max(1, Math.round(numberFrom(env, 'BENCH_ROUNDS', 3))),
    // One intra-op thread by default: see load-tests/README.md (2 cores, runs serialised per session).
    ortIntraOpThreads: Math.round(numberFrom(env, 'ORT_INTRA_OP_THREADS', 1)),
    referenceIterations: Math.max(1, Math.round(numberFrom(env, 'BENCH_REFERENCE_ITERATIONS', 20))),
    seed: Math.round(numberFrom(env, 'BENCH_SEED', 20240611)),
    requestTimeoutMs: 30_000,
    watchdogSeconds: numberFrom(env, 'BENCH_WATCHDOG_S', 600),
  };
}
