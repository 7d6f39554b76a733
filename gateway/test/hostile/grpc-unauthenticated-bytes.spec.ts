/**
 * Issue 10, finding 4: gRPC accepted megabytes before authenticating, and a message left half-sent
 * stayed open forever. Before the fix a call was authenticated in its handler, after grpc-js had read
 * its whole message, and every stream had a 64 MiB flow-control window: 12 connections without a
 * credential parked +675 MiB. Now a call is authenticated on its metadata before its message is
 * read (its stream holds at most its 2 MiB window until then), refused calls are reset, and a
 * request must arrive within GATEWAY_GRPC_RECEIVE_TIMEOUT_MS.
 */
import { status } from '@grpc/grpc-js';
import { toBinary } from '@bufbuild/protobuf';
import { ModelInferRequestSchema } from '@contracts/generated/inference/grpc_service_pb';
import { nanodetInferRequest } from '../nanodet-reference';
import { seededFloats, TEST_API_KEY } from '../test-gateway';
import { until } from '../wait-until';
import { describeCost, expectCheap, measureCost, startMeteredGateway } from './cost-meter';

import {
  grpcFrame,
  grpcPrefix,
  MODEL_INFER,
  MODEL_STREAM_INFER,
  pushBytes,
  rawCall,
  rawSession,
  type RawSession,
} from './raw-grpc';

const MIB = 1024 * 1024;
const RECEIVE_TIMEOUT_MS = 1000;
const CONNECTIONS = 12;
const STREAMS_PER_CONNECTION = 2;
/** Each anonymous call announces a message this large and sends what the gateway takes of it. */
const MESSAGE_BYTES = 24 * MIB;

describe('gRPC hostile input: bytes before authentication, messages left half-sent', () => {
  let gateway: Awaited<ReturnType<typeof startMeteredGateway>>;

  beforeAll(async () => {
    gateway = await startMeteredGateway({
      GATEWAY_GRPC_RECEIVE_TIMEOUT_MS: String(RECEIVE_TIMEOUT_MS),
    });
  });
  afterAll(() => gateway?.kill());

  it('refuses calls without a credential on their metadata, holding none of their bytes', async () => {
    const connections: RawSession[] = [];
    const { cost, result } = await measureCost(gateway, async () => {
      for (let i = 0; i < CONNECTIONS; i += 1) connections.push(rawSession(gateway.grpcAddress));
      await Promise.all(connections.map((connection) => connection.ready));
      const calls = connections.flatMap((connection) =>
        Array.from({ length: STREAMS_PER_CONNECTION }, () =>
          rawCall(connection.session, MODEL_INFER),
        ),
      );
      // Never finished: a message that arrived whole but not half-closed was held forever before.
      const taken = await Promise.all(
        calls.map(async (call) => {
          call.stream.write(grpcPrefix(MESSAGE_BYTES));
          return pushBytes(call.stream, MESSAGE_BYTES - 1, 3000);
        }),
      );
      await until(
        () => calls.every((call) => call.outcome.status !== undefined),
        'every anonymous call answered',
        10_000,
      ).catch(() => undefined); // the expectations below say which was not
      return { taken, outcomes: calls.map((call) => call.outcome) };
    });
    for (const connection of connections) connection.close();
    const takenMiB = result.taken.reduce((sum, bytes) => sum + bytes, 0) / MIB;
    console.log(
      `${CONNECTIONS} connections × ${STREAMS_PER_CONNECTION} anonymous ${MESSAGE_BYTES / MIB} MiB messages: the gateway took ${takenMiB.toFixed(1)} MiB; ${describeCost(cost)}`,
    );
    for (const outcome of result.outcomes) {
      expect(outcome).toMatchObject({
        status: status.UNAUTHENTICATED,
        message: expect.stringMatching(/authentication required/),
      });
    }
    // At most each stream's flow-control window (2 MiB) before the refusal stopped it, plus what
    // the client's own stream buffers (`taken` counts writes it accepted: 64 KiB more under load).
    expect(Math.max(...result.taken)).toBeLessThanOrEqual(3 * MIB + 128 * 1024);
    // What the windows may hold by design (24 streams × 2 MiB) plus the probes' own detects, whose
    // buffers come from fresh pages (MALLOC_MMAP_THRESHOLD_): before the fix, +287 MiB here, and
    // up to a 64 MiB window per stream.
    expectCheap(cost, { rssPeakGrowthBytes: 128 * MIB }, 'anonymous calls with large messages');
  });

  it('answers DEADLINE_EXCEEDED to a request that does not arrive in time, and closes its stream', async () => {
    const connection = rawSession(gateway.grpcAddress);
    await connection.ready;
    const key = { 'x-api-key': TEST_API_KEY };
    const request = grpcFrame(
      toBinary(
        ModelInferRequestSchema,
        nanodetInferRequest(seededFloats(3 * 416 * 416), 1, { id: 'whole' }),
      ),
    );
    const { cost, result } = await measureCost(gateway, async () => {
      const started = Date.now();
      // Unary: headers only; half a message; a whole message never half-closed.
      const silent = rawCall(connection.session, MODEL_INFER, key);
      const half = rawCall(connection.session, MODEL_INFER, key);
      half.stream.write(grpcPrefix(16 * MIB));
      await pushBytes(half.stream, 8 * MIB, 2000);
      const unclosed = rawCall(connection.session, MODEL_INFER, key);
      unclosed.stream.write(request);
      // A stream: one whole request (answered), then half of the next.
      const stream = rawCall(connection.session, MODEL_STREAM_INFER, key);
      stream.stream.write(request);
      await until(() => stream.outcome.received > MIB, 'the first request on the stream answered');
      stream.stream.write(grpcPrefix(16 * MIB));
      await pushBytes(stream.stream, 4 * MIB, 2000);
      const calls = { silent, half, unclosed, stream };
      await until(
        () => Object.values(calls).every((call) => call.outcome.closed),
        'every half-sent call closed',
        10 * RECEIVE_TIMEOUT_MS,
      ).catch(() => undefined); // the expectations below say which did not
      return {
        afterMs: Date.now() - started,
        outcomes: Object.fromEntries(
          Object.entries(calls).map(([name, call]) => [name, call.outcome]),
        ),
      };
    });
    connection.close();
    console.log(`half-sent requests: closed after ${result.afterMs} ms; ${describeCost(cost)}`);
    const late = {
      status: status.DEADLINE_EXCEEDED,
      message: expect.stringMatching(
        new RegExp(`within ${RECEIVE_TIMEOUT_MS} ms \\(GATEWAY_GRPC_RECEIVE_TIMEOUT_MS\\)`),
      ),
      closed: true,
    };
    expect(result.outcomes).toEqual({
      silent: expect.objectContaining(late),
      half: expect.objectContaining(late),
      unclosed: expect.objectContaining(late),
      stream: expect.objectContaining(late),
    });
    expectCheap(cost, {}, 'requests left half-sent');
  });
});
