/**
 * Issue 10, findings 4 and 9 (gRPC side): streams per connection, connections per client address
 * and anonymous health Watch streams were unlimited, and gateway_requests_in_flight must come back
 * down for calls the client cancels or whose connection drops. Each client address here is its own
 * loopback address (127.0.0.x), so the per-address limits of one test do not meet another's.
 */
import { constants } from 'node:http2';
import { setTimeout as sleep } from 'node:timers/promises';
import { status } from '@grpc/grpc-js';
import { toBinary } from '@bufbuild/protobuf';
import {
  GRPCInferenceService,
  ModelInferRequestSchema,
} from '@contracts/generated/inference/grpc_service_pb';
import { nanodetInferRequest } from '../nanodet-reference';
import { scrapeMetric } from '../prometheus-text';
import { grpcClient, seededFloats, TEST_API_KEY } from '../test-gateway';
import { until } from '../wait-until';
import { describeCost, expectCheap, measureCost, startMeteredGateway } from './cost-meter';

import {
  grpcFrame,
  grpcPrefix,
  MODEL_INFER,
  MODEL_STREAM_INFER,
  rawCall,
  SERVER_LIVE,
  rawSession,
  WATCH,
  type RawCall,
  type RawSession,
} from './raw-grpc';

const LIMITS = {
  GATEWAY_GRPC_MAX_CONCURRENT_STREAMS: '4',
  GATEWAY_GRPC_MAX_CONNECTIONS_PER_PEER: '3',
  GATEWAY_GRPC_MAX_CONNECTIONS: '5',
  GATEWAY_GRPC_MAX_WATCHES_PER_PEER: '6',
  GATEWAY_GRPC_MAX_WATCHES: '8',
};

/** A health Watch of the whole server (an empty WatchRequest), its request sent whole. */
function watch(connection: RawSession): RawCall {
  const call = rawCall(connection.session, WATCH);
  call.stream.end(grpcPrefix(0));
  return call;
}

const serving = (call: RawCall): boolean => call.outcome.received > 0 && !call.outcome.closed;

describe('gRPC hostile input: streams, connections and Watch streams beyond their limits', () => {
  let gateway: Awaited<ReturnType<typeof startMeteredGateway>>;
  const opened: RawSession[] = [];
  const connect = (localAddress: string): RawSession => {
    const connection = rawSession(gateway.grpcAddress, localAddress);
    opened.push(connection);
    return connection;
  };
  /** Whether a new client address can connect and be answered (ServerLive, public). */
  const canConnect = async (): Promise<boolean> => {
    const probe = rawSession(gateway.grpcAddress, '127.0.0.99');
    const live = rawCall(probe.session, SERVER_LIVE);
    live.stream.end(grpcPrefix(0));
    const outcome = await live.closed;
    probe.close();
    return outcome.status === status.OK;
  };
  const closeAll = async (): Promise<void> => {
    for (const connection of opened.splice(0)) connection.close();
    // Closed connections give their places back as the gateway sees them close.
    await until(canConnect, 'the connections closed');
  };

  beforeAll(async () => {
    gateway = await startMeteredGateway(LIMITS);
  });
  afterAll(() => gateway?.kill());
  afterEach(closeAll);

  it('serves at most GATEWAY_GRPC_MAX_CONCURRENT_STREAMS streams per connection', async () => {
    const { cost, result } = await measureCost(gateway, async () => {
      // Opened before the gateway's SETTINGS arrive, so the client cannot hold them back itself.
      const connection = connect('127.0.0.2');
      const calls = Array.from({ length: 8 }, () => watch(connection));
      await until(
        () =>
          calls.filter(serving).length === 4 && calls.filter((c) => c.outcome.closed).length === 4,
        'four streams served, four refused',
        10_000,
      ).catch(() => undefined); // the expectations below say what happened
      return calls.map((call) => ({ ...call.outcome }));
    });
    console.log(`8 streams on one connection, cap 4: ${describeCost(cost)}`);
    expect(result.filter((outcome) => outcome.received > 0 && !outcome.closed)).toHaveLength(4);
    const refused = result.filter((outcome) => outcome.closed);
    expect(refused.map((outcome) => outcome.rstCode)).toEqual(
      Array(4).fill(constants.NGHTTP2_REFUSED_STREAM),
    );
    expectCheap(cost, {}, 'streams beyond the per-connection cap');
  });

  it('closes connections beyond GATEWAY_GRPC_MAX_CONNECTIONS_PER_PEER and GATEWAY_GRPC_MAX_CONNECTIONS with a GOAWAY naming the limit', async () => {
    const { cost, result } = await measureCost(gateway, async () => {
      const settle = async (connections: RawSession[]) => {
        await Promise.all(connections.map((c) => c.ready.catch(() => undefined)));
        await sleep(200); // a GOAWAY follows the gateway's SETTINGS
        return connections.map((c) => ({ ...c.end }));
      };
      const onePeer = await settle(Array.from({ length: 5 }, () => connect('127.0.0.3')));
      const otherPeer = await settle([connect('127.0.0.4')]);
      const beyondTotal = await settle([connect('127.0.0.5'), connect('127.0.0.5')]);
      return { onePeer, otherPeer, beyondTotal };
    });
    console.log(`5 + 1 + 2 connections, caps 3 per address and 5 in all: ${describeCost(cost)}`);
    const open = { closed: false };
    const refused = (setting: string) => ({
      closed: true,
      goawayCode: constants.NGHTTP2_ENHANCE_YOUR_CALM,
      reason: expect.stringContaining(setting),
    });
    expect(result.onePeer.slice(0, 3)).toEqual([open, open, open]);
    expect(result.onePeer.slice(3)).toEqual(
      Array(2).fill(refused('at most 3 per client address: GATEWAY_GRPC_MAX_CONNECTIONS_PER_PEER')),
    );
    expect(result.otherPeer).toEqual([open]);
    expect(result.beyondTotal).toEqual([
      open,
      refused('at most 5 in all: GATEWAY_GRPC_MAX_CONNECTIONS'),
    ]);
    expectCheap(cost, {}, 'connections beyond their caps');
  });

  it('answers RESOURCE_EXHAUSTED to health Watch streams beyond GATEWAY_GRPC_MAX_WATCHES_PER_PEER and GATEWAY_GRPC_MAX_WATCHES', async () => {
    const { cost, result } = await measureCost(gateway, async () => {
      const first = [connect('127.0.0.6'), connect('127.0.0.6')];
      const onePeer = first.flatMap((connection) =>
        Array.from({ length: 4 }, () => watch(connection)),
      );
      const settled = (calls: RawCall[]) =>
        until(
          () => calls.every((call) => call.outcome.received > 0 || call.outcome.closed),
          'every Watch answered',
          10_000,
        ).catch(() => undefined); // the expectations below say which was not
      await settled(onePeer);
      const other = connect('127.0.0.7');
      const otherPeer = Array.from({ length: 3 }, () => watch(other));
      await settled(otherPeer);
      const outcome = (call: RawCall) => (serving(call) ? 'serving' : call.outcome.message);
      const seen = { onePeer: onePeer.map(outcome), otherPeer: otherPeer.map(outcome) };
      // A Watch that ends gives its place back.
      onePeer.find(serving)?.stream.close(constants.NGHTTP2_CANCEL);
      await sleep(200);
      const afterOneEnded = watch(other);
      await settled([afterOneEnded]);
      return { ...seen, afterOneEnded: outcome(afterOneEnded) };
    });
    console.log(`8 + 3 + 1 Watch streams, caps 6 per address and 8 in all: ${describeCost(cost)}`);
    const count = (outcomes: (string | undefined)[], what: string | undefined) =>
      outcomes.filter((outcome) => outcome === what).length;
    expect(count(result.onePeer, 'serving')).toBe(6);
    expect(
      count(
        result.onePeer,
        'too many health Watch streams (at most 6 per client address: GATEWAY_GRPC_MAX_WATCHES_PER_PEER)',
      ),
    ).toBe(2);
    expect(result.otherPeer).toEqual([
      'serving',
      'serving',
      'too many health Watch streams (at most 8 in all: GATEWAY_GRPC_MAX_WATCHES)',
    ]);
    expect(result.afterOneEnded).toBe('serving');
    expectCheap(cost, {}, 'Watch streams beyond their caps');
  });

  it('brings gateway_requests_in_flight{protocol="grpc"} back to 0 after cancelled, dropped and refused calls', async () => {
    const inFlight = () =>
      scrapeMetric(gateway, 'gateway_requests_in_flight', { protocol: 'grpc' });
    const request = nanodetInferRequest(seededFloats(3 * 416 * 416), 1, { id: 'cancelled' });
    const frame = grpcFrame(toBinary(ModelInferRequestSchema, request));
    const key = { 'x-api-key': TEST_API_KEY };
    const client = grpcClient(GRPCInferenceService, gateway.grpcAddress);
    try {
      // Unary calls cancelled while they run. A call can also end between two scrapes on a loaded
      // machine: then there is nothing to cancel, and waiting for it to show would never end.
      for (let i = 0; i < 3; i += 1) {
        let ended = false;
        const call = (client.modelInfer as (r: unknown, cb: () => void) => { cancel(): void })(
          request,
          () => (ended = true),
        );
        await until(async () => ended || (await inFlight()) > 0, 'the unary call running');
        call.cancel();
      }
      // Streams cancelled with requests in progress; one whose connection drops; one never read.
      const connection = connect('127.0.0.8');
      const cancelled = rawCall(connection.session, MODEL_STREAM_INFER, key);
      cancelled.stream.write(frame);
      cancelled.stream.write(frame);
      const unread = rawCall(connection.session, MODEL_STREAM_INFER, key);
      unread.stream.pause();
      for (let i = 0; i < 20; i += 1) unread.stream.write(frame);
      await until(async () => (await inFlight()) >= 2, 'both streams running');
      cancelled.stream.close(constants.NGHTTP2_CANCEL);
      const dropped = connect('127.0.0.9');
      const droppedCall = rawCall(dropped.session, MODEL_STREAM_INFER, key);
      droppedCall.stream.write(frame);
      await until(
        async () => (await inFlight()) >= 2,
        'the stream on the dropped connection running',
      );
      dropped.close();
      connection.close();
      // Refused: without a credential, and a unary call whose connection drops mid-message.
      const anonymous = connect('127.0.0.10');
      const refused = rawCall(anonymous.session, MODEL_INFER);
      refused.stream.end(frame);
      const halfSent = rawCall(anonymous.session, MODEL_INFER, key);
      halfSent.stream.write(grpcPrefix(frame.length));
      await refused.closed;
      anonymous.close();
      await until(
        async () => (await inFlight()) === 0,
        'gateway_requests_in_flight back to 0',
        30_000,
      );
    } finally {
      client.close();
    }
    expect(await inFlight()).toBe(0);
  });
});
