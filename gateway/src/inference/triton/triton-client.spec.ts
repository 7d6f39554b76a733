import { create } from '@bufbuild/protobuf';
import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import {
  GRPCInferenceService,
  ModelInferRequestSchema,
  ModelInferResponseSchema,
  type ModelInferResponse,
} from '@contracts/generated/inference/grpc_service_pb';
import { serverDefinition } from '@contracts/grpc/service-definition';
import { TritonClient } from './triton-client';

/**
 * The deadline and trace context the server sees: a real grpc-js server on loopback answers
 * ModelInfer with the time its call had left (in the response id) and the `traceparent` /
 * `tracestate` metadata it got (in the model name), so the test reads what went on the wire.
 */
describe('TritonClient deadlines and trace context', () => {
  let server: Server;
  let client: TritonClient;

  beforeAll(async () => {
    server = new Server();
    server.addService(serverDefinition(GRPCInferenceService), {
      modelInfer: (
        call: ServerUnaryCall<unknown, unknown>,
        done: sendUnaryData<ModelInferResponse>,
      ) => {
        const deadline = call.getDeadline();
        const left = (deadline instanceof Date ? deadline.getTime() : deadline) - Date.now();
        // The W3C trace context it was sent, as `traceparent|tracestate`.
        const trace = ['traceparent', 'tracestate']
          .map((key) => call.metadata.get(key).join(','))
          .join('|');
        done(null, create(ModelInferResponseSchema, { id: String(left), modelName: trace }));
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    client = new TritonClient(`127.0.0.1:${port}`, {
      timeoutMs: 30_000,
      maxMessageBytes: 1024 * 1024,
      maxReconnectBackoffMs: 1000,
    });
  });
  afterAll(() => {
    client.close();
    server.forceShutdown();
  });

  const leftOnTheServer = async (options: { deadline?: number; timeoutMs?: number }) => {
    const response = await client.modelInfer(
      create(ModelInferRequestSchema, { modelName: 'm' }),
      options,
    );
    return Number(response.id);
  };

  it("sends the caller's deadline when it comes before the client's timeout", async () => {
    const left = await leftOnTheServer({ deadline: Date.now() + 2000 });
    expect(left).toBeLessThanOrEqual(2000);
    expect(left).toBeGreaterThan(0);
  });

  it("keeps the client's timeout when the caller's deadline is later, or there is none", async () => {
    for (const options of [{ deadline: Date.now() + 600_000 }, {}]) {
      const left = await leftOnTheServer(options);
      expect(left).toBeLessThanOrEqual(30_000);
      expect(left).toBeGreaterThan(2000);
    }
    const shorter = await leftOnTheServer({ deadline: Date.now() + 600_000, timeoutMs: 1500 });
    expect(shorter).toBeLessThanOrEqual(1500);
  });

  it('sends W3C trace context as traceparent / tracestate metadata, exactly as given, and none without it', async () => {
    const request = create(ModelInferRequestSchema, { modelName: 'm' });
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const traced = await client.modelInfer(request, {
      trace: { traceparent, tracestate: 'vendor=opaque' },
    });
    expect(traced.modelName).toBe(`${traceparent}|vendor=opaque`);
    const withoutState = await client.modelInfer(request, { trace: { traceparent } });
    expect(withoutState.modelName).toBe(`${traceparent}|`);
    expect((await client.modelInfer(request)).modelName).toBe('|');
  });
});
