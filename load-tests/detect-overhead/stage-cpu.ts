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
import { handOver } from '../../gateway/src/inference/handed-over';
import { ServedVersions } from '../../gateway/src/serving/served-versions';
import { DecodeBudget } from '../../gateway/src/vision/decode-budget';
import { withDefaults } from '../../gateway/src/vision/detect-options';
import type {
  DetectContext,
  DetectRequest,
  DetectStage,
} from '../../gateway/src/vision/detect-types';
import { DecodeDetectionsStage } from '../../gateway/src/vision/stages/decode-detections.stage';
import { DecodeImageStage } from '../../gateway/src/vision/stages/decode-image.stage';
import { MapBoxesStage } from '../../gateway/src/vision/stages/map-boxes.stage';
import { NmsStage } from '../../gateway/src/vision/stages/nms.stage';
import { PreprocessStage } from '../../gateway/src/vision/stages/preprocess.stage';
import { numberFrom } from '@test-support';
import { BENCH_CALL } from '../lib/bench-credentials';
import { createInProcessDetectPipeline } from '../lib/in-process-detect-pipeline';
import { loadImages } from './images';
import { MODEL, MODEL_FILE, MODEL_REPOSITORY } from './settings';

type Step = [name: string, run: (context: DetectContext) => Promise<void> | void];

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
  const versions = new ServedVersions(backend);
  const budget = new DecodeBudget(config.images.decodeBudgetBytes, config.images.decodeQueue);
  const tensors = new WeakMap<DetectContext, ort.Tensor>();
  const stage = (s: DetectStage): Step => [s.name, (context) => s.run(context)];
  const steps: Step[] = [
    stage(new DecodeImageStage(config.images)),
    stage(new PreprocessStage(config.images, budget)),
    [
      'infer (backend)',
      async (context) => {
        if (!context.input) throw new Error('no input');
        context.inference = await backend.infer({
          model: MODEL,
          version: context.target.version,
          inputs: [
            {
              name: 'images',
              datatype: 'FP32',
              shape: [1, 3, 416, 416],
              data: handOver(context.input),
            },
          ],
          outputs: [],
        });
      },
    ],
    stage(new DecodeDetectionsStage(versions)),
    stage(new NmsStage()),
    stage(new MapBoxesStage()),
  ];
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

  const names = [...steps.map(([name]) => name), 'bare model', 'pipeline.detect', 'JSON answer'];
  const totals = new Map(images.map((image) => [image.name, new Map(names.map((n) => [n, 0]))]));
  for (let round = -2; round < iterations; round += 1) {
    for (const image of images) {
      const sums = totals.get(image.name)!;
      const add = (name: string, ms: number) => round >= 0 && sums.set(name, sums.get(name)! + ms);
      const context: DetectContext = {
        request: request(image.bytes),
        target: backend.resolve(MODEL, ''),
      };
      for (const [name, run] of steps) {
        // Handed over below as InferStage sends it: the bare session gets a copy, made untimed.
        if (context.input && !tensors.has(context))
          tensors.set(context, new ort.Tensor('float32', context.input.slice(), [1, 3, 416, 416]));
        const started = process.cpuUsage();
        await run(context);
        add(name, cpuMs(started));
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
  versions.onApplicationShutdown();
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
