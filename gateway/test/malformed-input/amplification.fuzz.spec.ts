/**
 * Issue 10: generators that target amplification rather than malformation. Each input is small on
 * the wire or slow to arrive and would be expensive if the gateway paid for it element by element
 * or byte by byte: compression ratio × element count, repeated input and output names, BYTES
 * tensors of zero-length elements, requests left half-sent, slow bodies. Every property requires
 * the typed answer and, through assertCheaply, that the whole run kept the gateway's event loop,
 * memory and normal detects within bounds.
 */
import { deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { status } from '@grpc/grpc-js';
import { startMeteredGateway, type MeteredGateway } from '../hostile/cost-meter';
import {
  grpcTensorMessage,
  kserveTensorBody,
  type TensorRequestSpec,
} from '../hostile/hostile-inputs';
import {
  grpcFrame,
  MODEL_INFER,
  MODEL_STREAM_INFER,
  rawCall,
  rawSession,
} from '../hostile/raw-grpc';
import { openRaw, requestHead, writeBody } from '../hostile/raw-http';
import { authHeaders, TEST_API_KEY } from '../test-gateway';
import { answerWithin, assertCheaply } from './cheap-property';
import { FUZZ_TEST_TIMEOUT_MS, fuzzParameters, printable } from './fuzz-settings';
import { expectSuccessOrClientError, send } from './http-outcome';

/** Receive deadlines of the gateway the slow-input properties run against. */
const DEADLINE_MS = 1000;

const tensorSpec: fc.Arbitrary<TensorRequestSpec> = fc.record({
  model: fc.constantFrom('nanodet', 'nanodet', 'unknown'),
  inputName: fc.constantFrom('images', 'images', 'x'),
  inputRepeats: fc.oneof(fc.constant(1), fc.noBias(fc.integer({ min: 2, max: 200 }))),
  datatype: fc.constantFrom('BYTES', 'FP32', 'INT64', 'BOOL'),
  // Up to 4 M elements: tens of megabytes of work if paid per element, a few MB on the wire.
  // (Unbiased: fast-check otherwise favours small values, and the large ones are the point.)
  count: fc.oneof(
    fc.integer({ min: 0, max: 1000 }),
    fc.noBias(fc.integer({ min: 100_000, max: 4_000_000 })),
  ),
  output: fc.constantFrom('cls_s8', 'reg_s32', 'nope'),
  outputRepeats: fc.oneof(fc.constant(0), fc.noBias(fc.integer({ min: 1, max: 300 }))),
});

/** Element count × repeats stays under what one test process can build quickly. */
const affordable = (spec: TensorRequestSpec): boolean =>
  spec.count * (spec.inputRepeats ?? 1) <= 8_000_000;

const describeSpec = (spec: TensorRequestSpec, how: string): string =>
  `${how}: ${spec.model} ${spec.inputName}×${spec.inputRepeats} ${spec.datatype}[${spec.count}] ` +
  `output ${spec.output}×${spec.outputRepeats}`;

jest.setTimeout(FUZZ_TEST_TIMEOUT_MS);

describe('malformed input: amplification (property-based, cost-metered)', () => {
  describe('element counts, compression and repeated names', () => {
    let gateway: MeteredGateway;

    beforeAll(async () => {
      gateway = await startMeteredGateway();
    });
    afterAll(() => gateway.kill());

    it('answers KServe REST tensors of any count, form, compression and repetition cheaply', async () => {
      const request = fc
        .tuple(
          tensorSpec.filter(affordable),
          fc.constantFrom('json' as const, 'binary' as const),
          fc.constantFrom('identity', 'gzip', 'deflate'),
        )
        .map(([spec, form, encoding]) => {
          const { body, headers } = kserveTensorBody(spec, form);
          const encoded =
            encoding === 'gzip'
              ? gzipSync(body)
              : encoding === 'deflate'
                ? deflateSync(body)
                : body;
          return printable(
            {
              path: `/v2/models/${spec.model}/infer`,
              body: encoded,
              headers: {
                ...headers,
                ...(encoding === 'identity' ? {} : { 'content-encoding': encoding }),
              },
            },
            describeSpec(spec, `${form}, ${encoding}, ${encoded.byteLength} bytes`),
          );
        });
      await assertCheaply(
        gateway,
        fc.asyncProperty(request, async ({ path, body, headers }) => {
          const outcome = await send(gateway.httpUrl, path, {
            method: 'POST',
            headers: { ...authHeaders(), ...headers },
            body,
          });
          expectSuccessOrClientError(outcome, [400, 404, 413]);
        }),
        fuzzParameters(25),
      );
    });

    it('answers ModelInferRequests of any count, form and repetition cheaply, unary and streamed', async () => {
      const request = fc
        .tuple(
          tensorSpec.filter(affordable),
          fc.constantFrom('contents' as const, 'raw' as const),
          fc.constantFrom(MODEL_INFER, MODEL_STREAM_INFER),
        )
        .map(([spec, form, path]) => {
          const frame = grpcFrame(grpcTensorMessage(spec, form));
          return printable(
            { frame, path },
            describeSpec(spec, `${form} via ${path}, ${frame.byteLength} bytes`),
          );
        });
      const session = rawSession(gateway.grpcAddress);
      await session.ready;
      try {
        await assertCheaply(
          gateway,
          fc.asyncProperty(request, async ({ frame, path }) => {
            const call = rawCall(session.session, path, { 'x-api-key': TEST_API_KEY });
            call.stream.end(frame);
            const outcome = await answerWithin(path, call.closed);
            // Unary: a typed refusal. Stream: an error_message answer and a clean end (OK).
            const allowed = [
              status.OK,
              status.INVALID_ARGUMENT,
              status.NOT_FOUND,
              status.RESOURCE_EXHAUSTED,
            ];
            if (
              !allowed.includes(outcome.status ?? -1) ||
              (outcome.message ?? '').includes('internal')
            ) {
              throw new Error(`${path} answered ${outcome.status}: ${outcome.message}`);
            }
          }),
          fuzzParameters(25),
        );
      } finally {
        session.session.destroy();
      }
    });
  });

  describe('requests left half-sent and slow bodies', () => {
    let gateway: MeteredGateway;

    beforeAll(async () => {
      gateway = await startMeteredGateway({
        GATEWAY_HTTP_REQUEST_TIMEOUT_MS: String(DEADLINE_MS),
        GATEWAY_GRPC_RECEIVE_TIMEOUT_MS: String(DEADLINE_MS),
      });
    });
    afterAll(() => gateway.kill());

    /** Answered by its deadline plus Node's and grpc-js's timer granularity (1 s checks). */
    const closedWithin = DEADLINE_MS + 3000;

    it('ends HTTP requests whose body stops at any point with 408, and frees them', async () => {
      const stall = fc.record({
        declared: fc.integer({ min: 1, max: 64 * 1024 * 1024 }),
        fraction: fc.double({ min: 0, max: 0.99, noNaN: true }),
        path: fc.constantFrom('/v1/models/nanodet/detect', '/v2/models/nanodet/infer'),
      });
      await assertCheaply(
        gateway,
        fc.asyncProperty(stall, async ({ declared, fraction, path }) => {
          const connection = await openRaw(
            gateway.httpUrl,
            requestHead('POST', path, [
              ['x-api-key', TEST_API_KEY],
              ['content-type', path.endsWith('detect') ? 'image/jpeg' : 'application/octet-stream'],
              ['content-length', String(declared)],
            ]),
          );
          // Sent in full chunks up to a point below what was declared, then nothing more.
          await writeBody(
            connection.socket,
            Math.min(Math.floor(declared * fraction), 8 * 1024 * 1024),
          );
          const closedAfter = await connection.closed;
          const answer = await connection.answer;
          connection.socket.destroy();
          if (closedAfter > closedWithin) throw new Error(`held ${closedAfter.toFixed(0)} ms`);
          expect(answer?.status).toBe(408);
        }),
        fuzzParameters(8),
      );
    });

    it('ends gRPC calls left mid-message with DEADLINE_EXCEEDED, and frees them', async () => {
      const stall = fc.record({
        path: fc.constantFrom(MODEL_INFER, MODEL_STREAM_INFER),
        declared: fc.integer({ min: 16, max: 64 * 1024 * 1024 }),
        sent: fc.double({ min: 0, max: 0.99, noNaN: true }),
      });
      const session = rawSession(gateway.grpcAddress);
      await session.ready;
      try {
        await assertCheaply(
          gateway,
          fc.asyncProperty(stall, async ({ path, declared, sent }) => {
            const call = rawCall(session.session, path, { 'x-api-key': TEST_API_KEY });
            const prefix = Buffer.alloc(5);
            prefix.writeUInt32BE(declared, 1);
            call.stream.write(prefix);
            call.stream.write(Buffer.alloc(Math.min(Math.floor(declared * sent), 1024 * 1024)));
            const started = performance.now();
            const outcome = await call.closed;
            const heldMs = performance.now() - started;
            if (heldMs > closedWithin) throw new Error(`held ${heldMs.toFixed(0)} ms`);
            expect(outcome.status).toBe(status.DEADLINE_EXCEEDED);
          }),
          fuzzParameters(8),
        );
      } finally {
        session.session.destroy();
      }
    });
  });
});
