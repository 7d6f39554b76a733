/**
 * Issue 10, finding 3: a ModelStreamInfer client that sends requests and never reads the answers.
 * Before the fix the gateway kept reading requests and queueing every answer (its pause counter
 * dropped when write() returned, not when the client took the data): +414-590 MiB on one stream.
 * Now reading stops once 16 requests are not yet answered to the client or 8 MiB of answers wait
 * for it, and the client's further bytes wait in its flow-control window.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { toBinary } from '@bufbuild/protobuf';
import { ModelInferRequestSchema } from '@contracts/generated/inference/grpc_service_pb';
import { nanodetInferRequest } from '../nanodet-reference';
import { seededFloats, TEST_API_KEY } from '../test-gateway';
import { describeCost, expectCheap, measureCost, startMeteredGateway } from './cost-meter';

import { until } from '../wait-until';
import { grpcFrame, MODEL_STREAM_INFER, rawCall, rawSession } from './raw-grpc';

const MIB = 1024 * 1024;
/** How long the client keeps sending, unread, in the measured window: the old code bloats in it. */
const SENDING_MS = 10_000;
/** Requests a stream may have unanswered (kserve-grpc.service.ts STREAM_WINDOW). */
const STREAM_WINDOW = 16;

describe('gRPC hostile input: a ModelStreamInfer stream whose answers are never read', () => {
  let gateway: Awaited<ReturnType<typeof startMeteredGateway>>;
  const request = grpcFrame(
    toBinary(
      ModelInferRequestSchema,
      nanodetInferRequest(seededFloats(3 * 416 * 416), 1, { id: 'unread' }),
    ),
  );

  beforeAll(async () => {
    // A fixed admission limit: the warm-up then forms the same batches as the measured part, so
    // ONNX Runtime's arena is already at its working size when the cost is read.
    gateway = await startMeteredGateway({ GATEWAY_ADMISSION_LIMIT: 'fixed' });
  });
  afterAll(() => gateway?.kill());

  it('stops reading once its answers wait for the client, and stays small however long it lasts', async () => {
    const connection = rawSession(gateway.grpcAddress);
    await connection.ready;
    // The same stream read normally first: what ONNX Runtime and the allocators keep after serving
    // a full window of requests is the baseline, not the cost of the unread stream.
    const normal = rawCall(connection.session, MODEL_STREAM_INFER, { 'x-api-key': TEST_API_KEY });
    for (let i = 0; i < STREAM_WINDOW; i += 1) {
      await new Promise<void>((resolve) => normal.stream.write(request, () => resolve()));
    }
    normal.stream.end();
    const answered = await normal.closed;
    expect(answered).toMatchObject({ status: 0 });
    expect(answered.received).toBeGreaterThan(STREAM_WINDOW * MIB);

    // Unread from the start; the gateway answers its first requests (serving them is the normal
    // cost of a stream) and should then stop reading: the window measured is what follows.
    const unread = rawCall(connection.session, MODEL_STREAM_INFER, { 'x-api-key': TEST_API_KEY });
    unread.stream.pause(); // never read: the client's receive window stays shut
    let taken = 0;
    let sending = true;
    const sender = (async () => {
      while (sending && !unread.stream.destroyed) {
        // A few requests always queued here, so the gateway can read more whenever it wants to.
        if (unread.stream.writableLength < 4 * request.length) {
          unread.stream.write(request, (error) => {
            if (!error) taken += 1;
          });
        }
        await sleep(5);
      }
    })();
    // It stops at 16 requests not yet answered, or earlier at 8 MiB of answers unsent (about 5 of
    // nanodet's): wait until it has taken none for 3 s.
    let seen = -1;
    await until(
      async () => {
        const settled = taken > 0 && taken === seen;
        seen = taken;
        if (!settled) await sleep(3000);
        return settled;
      },
      'the gateway to stop reading',
      120_000,
    );
    const takenBefore = taken;
    const { cost } = await measureCost(gateway, () => sleep(SENDING_MS));
    const result = { before: takenBefore, during: taken - takenBefore };
    sending = false;
    await sender;
    unread.stream.close();
    connection.close();
    console.log(
      `unread ModelStreamInfer: the gateway took ${result.before} requests, then ${result.during} in ${SENDING_MS} ms; ${describeCost(cost)}`,
    );
    // 16 requests read, and the next one whole in the stream's 2 MiB flow-control window, unread.
    expect(result.before).toBeLessThanOrEqual(STREAM_WINDOW + 1);
    expect(result.during).toBe(0);
    expectCheap(cost, { rssPeakGrowthBytes: 64 * MIB }, 'an unread ModelStreamInfer stream');
  }, 180_000);
});
