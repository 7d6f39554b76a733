import { resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { percentile, round } from '../lib/latency-stats';
import { MODEL_REPOSITORY } from '../detect-overhead/settings';
import { MODEL } from './settings';

/** Bare ONNX Runtime: what one batch of `batch` images costs, with no gateway in the way. */
export interface ModelScalingPoint {
  batch: number;
  /** Median over the runs. */
  msPerBatch: number;
  msPerImage: number;
  /** Images per second one instance can do at this batch size: the ceiling batching can reach. */
  imagesPerSecond: number;
}

/**
 * How the model's own cost grows with the batch size, measured first so the batching results can
 * be read against it: batching can only raise throughput as far as a batch of b costs less than b
 * batches of one. Same ONNX file, same intra-op thread count as the gateway's instances.
 */
export async function measureModelScaling(
  intraOpThreads: number,
  batches: readonly number[] = [1, 2, 4, 8],
  imagesPerSize = 48,
): Promise<ModelScalingPoint[]> {
  const session = await ort.InferenceSession.create(
    resolve(MODEL_REPOSITORY, MODEL, '1', 'model.onnx'),
    {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: intraOpThreads,
    },
  );
  try {
    const input = session.inputNames[0];
    const points: ModelScalingPoint[] = [];
    for (const batch of batches) {
      const data = new Float32Array(batch * 3 * 416 * 416).map((_, index) => (index % 255) / 255);
      const feeds = { [input]: new ort.Tensor('float32', data, [batch, 3, 416, 416]) };
      await session.run(feeds); // warm-up: first runs allocate
      const times: number[] = [];
      for (let run = 0; run < Math.max(3, imagesPerSize / batch); run += 1) {
        const started = performance.now();
        await session.run(feeds);
        times.push(performance.now() - started);
      }
      const msPerBatch = percentile(
        times.sort((a, b) => a - b),
        50,
      );
      points.push({
        batch,
        msPerBatch: round(msPerBatch, 1),
        msPerImage: round(msPerBatch / batch, 1),
        imagesPerSecond: round((1000 * batch) / msPerBatch, 1),
      });
    }
    return points;
  } finally {
    await session.release();
  }
}
