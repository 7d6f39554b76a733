import { setTimeout as sleep } from 'node:timers/promises';
import { create } from '@bufbuild/protobuf';
import { status, type ServiceError } from '@grpc/grpc-js';
import {
  GRPCInferenceService,
  type ModelInferResponse,
} from '@contracts/generated/inference/grpc_service_pb';
import {
  DetectRequestSchema,
  VisionService,
  type DetectResponse,
} from '@contracts/generated/vision/v1/vision_pb';
import type { DetectResult } from '../src/vision/detect-types';
import { NANODET_INPUT_SIZE, NANODET_OUTPUTS, nanodetInferRequest } from './nanodet-reference';
import {
  authHeaders,
  callUnary,
  grpcClient,
  sampleImage,
  seededFloats,
  startTestGateway,
  type TestGateway,
} from './test-gateway';
import { sampleValue } from './prometheus-text';

const IMAGES: [name: string, type: string][] = [
  ['messi5.jpg', 'image/jpeg'],
  ['basketball1.png', 'image/png'],
  ['basketball2.png', 'image/png'],
  ['fruits.jpg', 'image/jpeg'],
  ['home.jpg', 'image/jpeg'],
  ['building.jpg', 'image/jpeg'],
  ['vtest-frames/frame-01.png', 'image/png'],
  ['vtest-frames/frame-04.png', 'image/png'],
];

/** KServe inputs: eight single images and one request carrying two. */
const TENSOR_BATCHES = [1, 1, 1, 1, 1, 1, 1, 1, 2];

/** Everything one run produces, to compare a batched gateway with an unbatched one. */
interface RunResults {
  /** Raw output bytes per request, by output name. */
  tensors: Record<string, Buffer>[];
  restDetections: DetectResult['detections'][];
  grpcDetections: DetectResponse['detections'][];
}

/** All requests of each kind at once, so a batching gateway has company to batch. */
async function runAll(gateway: TestGateway): Promise<RunResults> {
  const kserve = grpcClient(GRPCInferenceService, gateway.grpcAddress);
  const vision = grpcClient(VisionService, gateway.grpcAddress);
  try {
    const tensors = await Promise.all(
      TENSOR_BATCHES.map(async (batch, index) => {
        const input = seededFloats(NANODET_INPUT_SIZE * batch, index + 1);
        const request = nanodetInferRequest(input, batch, { id: `batching-${index}` });
        const response = await callUnary<ModelInferResponse>(kserve, 'modelInfer', request);
        expect(response.id).toBe(`batching-${index}`);
        return Object.fromEntries(
          response.outputs.map((output, at) => {
            expect(output.shape.map(Number)[0]).toBe(batch);
            return [output.name, Buffer.from(response.rawOutputContents[at])];
          }),
        );
      }),
    );
    const restDetections = await Promise.all(
      IMAGES.map(async ([name, type]) => {
        const response = await fetch(`${gateway.httpUrl}/v1/models/nanodet/detect`, {
          method: 'POST',
          headers: { ...authHeaders(), 'content-type': type },
          body: sampleImage(name),
        });
        expect(response.status).toBe(200);
        return ((await response.json()) as DetectResult).detections;
      }),
    );
    const grpcDetections = await Promise.all(
      IMAGES.map(async ([name]) => {
        const response = await callUnary<DetectResponse>(
          vision,
          'detect',
          create(DetectRequestSchema, { model: 'nanodet', image: sampleImage(name) }),
        );
        return response.detections;
      }),
    );
    return { tensors, restDetections, grpcDetections };
  } finally {
    kserve.close();
    vision.close();
  }
}

async function metricsOf(gateway: TestGateway): Promise<string> {
  return (await fetch(`${gateway.httpUrl}/metrics`, { headers: authHeaders() })).text();
}

const NANODET = { model: 'nanodet', version: '1' };
/** Batches form from calls in flight at once: a fixed admission limit lets all of them through. */
const ALL_ADMITTED = { GATEWAY_ADMISSION_LIMIT: 'fixed' } as const;

describe('dynamic batching (embedded backend, real gateways)', () => {
  let unbatched: RunResults;

  beforeAll(async () => {
    const gateway = await startTestGateway({ GATEWAY_BATCHING: 'off' });
    try {
      unbatched = await runAll(gateway);
      // Off means off: nothing went through a batcher.
      expect(
        sampleValue(await metricsOf(gateway), 'gateway_batch_size_count', NANODET),
      ).toBeUndefined();
    } finally {
      await gateway.close();
    }
  });

  it('answers concurrent KServe and detect calls exactly as without batching, from batches larger than one', async () => {
    // A generous delay, so the concurrent calls meet in batches even on a busy machine.
    const gateway = await startTestGateway({
      ...ALL_ADMITTED,
      GATEWAY_BATCHING: 'fixed',
      GATEWAY_BATCH_MAX_QUEUE_DELAY_US: '100000',
    });
    try {
      const batched = await runAll(gateway);
      expect(batched.tensors).toHaveLength(TENSOR_BATCHES.length);
      batched.tensors.forEach((outputs, index) => {
        expect(Object.keys(outputs).sort()).toEqual([...NANODET_OUTPUTS].sort());
        for (const name of NANODET_OUTPUTS) {
          // Bit for bit: the same bytes, not merely close floats.
          expect(outputs[name].equals(unbatched.tensors[index][name])).toBe(true);
        }
      });
      expect(batched.restDetections).toEqual(unbatched.restDetections);
      expect(batched.grpcDetections).toEqual(unbatched.grpcDetections);
      expect(batched.restDetections.flat().length).toBeGreaterThan(0);

      const text = await metricsOf(gateway);
      const images = TENSOR_BATCHES.reduce((sum, batch) => sum + batch, 0) + 2 * IMAGES.length;
      const batches = sampleValue(text, 'gateway_batch_size_count', NANODET)!;
      // Every image went through the batcher, in fewer backend calls than requests.
      expect(sampleValue(text, 'gateway_batch_size_sum', NANODET)).toBe(images);
      expect(batches).toBeLessThan(TENSOR_BATCHES.length + 2 * IMAGES.length);
      expect(sampleValue(text, 'gateway_batch_size_bucket', { ...NANODET, le: '1' })).toBeLessThan(
        batches,
      );
      expect(sampleValue(text, 'gateway_inference_duration_seconds_count', NANODET)).toBe(batches);
      expect(sampleValue(text, 'gateway_batch_max_size', NANODET)).toBe(8);
      expect(sampleValue(text, 'gateway_batch_max_queue_delay_seconds', NANODET)).toBe(0.1);
      expect(sampleValue(text, 'gateway_batch_queue_depth', NANODET)).toBe(0);
      expect(sampleValue(text, 'gateway_batches_in_flight', NANODET)).toBe(0);
    } finally {
      await gateway.close();
    }
  });

  it('gives the same answers in adaptive mode', async () => {
    const gateway = await startTestGateway({
      ...ALL_ADMITTED,
      GATEWAY_BATCHING: 'adaptive',
      GATEWAY_BATCH_MAX_QUEUE_DELAY_US: '20000',
    });
    try {
      const batched = await runAll(gateway);
      batched.tensors.forEach((outputs, index) => {
        for (const name of NANODET_OUTPUTS) {
          expect(outputs[name].equals(unbatched.tensors[index][name])).toBe(true);
        }
      });
      expect(batched.restDetections).toEqual(unbatched.restDetections);
      const text = await metricsOf(gateway);
      expect(sampleValue(text, 'gateway_batch_size_sum', NANODET)).toBeGreaterThan(0);
      expect(sampleValue(text, 'gateway_batch_max_size', NANODET)).toBeGreaterThanOrEqual(1);
    } finally {
      await gateway.close();
    }
  });

  it('refuses at once with RESOURCE_EXHAUSTED and a retry hint when the batch queue is full', async () => {
    const gateway = await startTestGateway({
      ...ALL_ADMITTED,
      GATEWAY_BATCHING: 'fixed',
      GATEWAY_BATCH_MAX_QUEUE: '2',
      // Two requests stay below the preferred size 4, so they wait the whole second.
      GATEWAY_BATCH_MAX_QUEUE_DELAY_US: '1000000',
    });
    const client = grpcClient(GRPCInferenceService, gateway.grpcAddress);
    try {
      const infer = (seed: number) =>
        callUnary<ModelInferResponse>(
          client,
          'modelInfer',
          nanodetInferRequest(seededFloats(NANODET_INPUT_SIZE, seed), 1, { id: `q${seed}` }),
        );
      const waiting = [infer(1), infer(2)];
      // Both queued before the third arrives: the queue depth gauge says so.
      for (let tries = 0; tries < 200; tries += 1) {
        if (sampleValue(await metricsOf(gateway), 'gateway_batch_queue_depth', NANODET) === 2)
          break;
        await sleep(10);
      }
      const refused = (await infer(3).catch((error: unknown) => error)) as ServiceError;
      expect(refused.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(refused.details).toContain("batch queue of model 'nanodet' version 1 is full");
      expect(Number(refused.metadata.get('retry-after-ms')[0])).toBeGreaterThan(0);
      const answered = await Promise.all(waiting);
      expect(answered.map((response) => response.id)).toEqual(['q1', 'q2']);
      const text = await metricsOf(gateway);
      expect(
        sampleValue(text, 'gateway_batch_refused_total', { ...NANODET, priority: 'realtime' }),
      ).toBe(1);
      expect(sampleValue(text, 'gateway_batch_size_bucket', { ...NANODET, le: '2' })).toBe(1);
    } finally {
      client.close();
      await gateway.close();
    }
  });
});
