/**
 * CPU per detect stage, in-process, on the benchmark's sample images: where the detect pipeline's
 * own CPU goes. One call at a time, so the process's CPU (every thread: libvips on libuv's pool,
 * ONNX Runtime in its worker thread) read around a stage is that stage's cost.
 *   node -r @swc-node/register load-tests/detect-overhead/stage-cpu.ts   (STAGE_CPU_ITERATIONS=20)
 * Add --cpu-prof before -r for a V8 profile of the same loop.
 */
import 'reflect-metadata';
import * as ort from 'onnxruntime-node';
import { loadGatewayConfig } from '../../gateway/src/config/gateway-config';
import { withDefaults } from '../../gateway/src/vision/detect-options';
import type { DetectContext, DetectRequest } from '../../gateway/src/vision/detect-types';
import { numberFrom } from '@test-support';
import { BENCH_CALL } from '../lib/bench-credentials';
import { createInProcessDetectPipeline, detectSteps } from '../lib/in-process-detect-pipeline';
import { loadImages } from './images';
import { MODEL, MODEL_FILE, MODEL_REPOSITORY } from './settings';

const cpuMs = (since: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

async function main(): Promise<void> {
  const iterations = Math.round(numberFrom(process.env, 'STAGE_CPU_ITERATIONS', 20));
  const config = loadGatewayConfig({
    MODEL_REPOSITORY,
    ORT_INTRA_OP_THREADS: '1',
    LOG_LEVEL: 'error',
  });
  const images = loadImages();
  const { backend, pipeline } = await createInProcessDetectPipeline(config);
  const { steps, close } = detectSteps(config, backend, { handOverInput: true });
  const tensors = new WeakMap<DetectContext, ort.Tensor>();
  const session = await ort.InferenceSession.create(MODEL_FILE, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 1,
  });
  const request = (bytes: Buffer): DetectRequest => ({
    model: MODEL,
    version: '',
    image: bytes,
    options: withDefaults({}, config.detectDefaults),
  });

  const names = [...steps.map(({ name }) => name), 'bare model', 'pipeline.detect', 'JSON answer'];
  const totals = new Map(images.map((image) => [image.name, new Map(names.map((n) => [n, 0]))]));
  for (let round = -2; round < iterations; round += 1) {
    for (const image of images) {
      const sums = totals.get(image.name)!;
      const add = (name: string, ms: number) => round >= 0 && sums.set(name, sums.get(name)! + ms);
      const context: DetectContext = {
        request: request(image.bytes),
        target: backend.resolve(MODEL, ''),
      };
      for (const step of steps) {
        // Handed over below as InferStage sends it: the bare session gets a copy, made untimed.
        if (context.input && !tensors.has(context))
          tensors.set(context, new ort.Tensor('float32', context.input.slice(), [1, 3, 416, 416]));
        const started = process.cpuUsage();
        await step.run(context);
        add(step.name, cpuMs(started));
      }
      const tensor = tensors.get(context)!;
      let started = process.cpuUsage();
      await session.run({ images: tensor });
      add('bare model', cpuMs(started));
      started = process.cpuUsage();
      const answer = await pipeline.detect(request(image.bytes), BENCH_CALL);
      add('pipeline.detect', cpuMs(started));
      started = process.cpuUsage();
      JSON.stringify(answer);
      add('JSON answer', cpuMs(started));
    }
  }

  const rows = [...totals].map(
    ([image, sums]) => [image, ...names.map((n) => sums.get(n)! / iterations)] as const,
  );
  const mean = names.map(
    (_, i) => rows.reduce((sum, row) => sum + (row[i + 1] as number), 0) / rows.length,
  );
  console.log(`CPU ms per call (mean of ${iterations} rounds; all threads of this process)`);
  console.log(['image', ...names].join(' | '));
  for (const row of [...rows, ['mean', ...mean] as const]) {
    console.log(row.map((v) => (typeof v === 'number' ? v.toFixed(2) : v)).join(' | '));
  }
  const stages = names.slice(0, steps.length).filter((n) => !n.startsWith('infer'));
  const own = stages.reduce((sum, n) => sum + mean[names.indexOf(n)], 0);
  const detect = mean[names.indexOf('pipeline.detect')];
  const model = mean[names.indexOf('bare model')];
  console.log(
    `stages excl. infer: ${own.toFixed(2)} ms; infer − bare model: ${(mean[2] - model).toFixed(2)} ms; ` +
      `pipeline.detect − bare model: ${(detect - model).toFixed(2)} ms (${(detect / model).toFixed(2)}×)`,
  );
  close();
  await session.release();
  await backend.close();
}

void main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
