import { resolve } from 'node:path';
import { numberFrom } from '@test-support';

export const RESULTS_DIR = resolve(__dirname, '../results');
/** The design target: a frame answered within one 10 FPS frame interval, none dropped. */
export const TARGET_P99_MS = 100;
/** Forecast horizons scored on our own tracks. */
export const HORIZONS_MS = [500, 1000, 2000];
/** Frames of vtest.avi replayed (cycled); each stream starts this many frames after the previous. */
export const CLIP_FRAMES = 400;
export const STREAM_OFFSET_FRAMES = 47;
export const WARMUP_MS = 3000;
/** The gateway's GATEWAY_STREAM_FRAME_DEADLINE_MS default, which the streams keep (for the report). */
export const DEFAULT_FRAME_DEADLINE_MS = 500;

export interface StreamsBenchSettings {
  /** Seconds each N streams for (STREAMS_BENCH_SECONDS). */
  seconds: number;
  /** The stream counts, in order (STREAMS_BENCH_COUNTS, e.g. `1,2`). */
  counts: number[];
  /** ONNX Runtime intra-op threads of the gateway (STREAMS_BENCH_ORT_THREADS). */
  ortThreads: number;
}

export function benchSettings(env: NodeJS.ProcessEnv = process.env): StreamsBenchSettings {
  const counts = (env.STREAMS_BENCH_COUNTS ?? '1,2,4,8').split(',').map(Number);
  if (counts.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new Error(
      `STREAMS_BENCH_COUNTS must be positive integers, got '${env.STREAMS_BENCH_COUNTS}'`,
    );
  }
  return {
    seconds: numberFrom(env, 'STREAMS_BENCH_SECONDS', 20, { above: 0 }),
    counts,
    // Both cores for one inference: a frame has 100 ms, and NanoDet on one thread here takes ~70.
    ortThreads: numberFrom(env, 'STREAMS_BENCH_ORT_THREADS', 2, 1),
  };
}
