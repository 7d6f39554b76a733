import { connect, type Settings } from 'node:http2';
import { dirname, resolve } from 'node:path';
import {
  credentials,
  loadPackageDefinition,
  type Client,
  type ClientDuplexStream,
  type GrpcObject,
  type ServiceClientConstructor,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import type { RunningGateway } from '../src/gateway-app';
import { authInterceptor, startTestGateway } from './test-gateway';

/** A client for a service described by a .proto shipped inside an npm package. */
function clientFor(
  protoFile: string,
  service: string[],
  address: string,
): Client & Record<string, (...args: unknown[]) => unknown> {
  const definition = loadPackageDefinition(
    loadSync(protoFile, { keepCase: true, enums: String, includeDirs: [dirname(protoFile)] }),
  );
  let node: GrpcObject | ServiceClientConstructor = definition;
  for (const part of service) node = node[part] as GrpcObject;
  const Constructor = node as unknown as ServiceClientConstructor;
  const client: unknown = new Constructor(address, credentials.createInsecure(), {
    interceptors: [authInterceptor()],
  });
  return client as Client & Record<string, (...args: unknown[]) => unknown>;
}

describe('gRPC health checking and server reflection', () => {
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(() => gateway.close());

  it('reports SERVING for the server and each service over grpc.health.v1', async () => {
    const proto = resolve(
      dirname(require.resolve('grpc-health-check/package.json')),
      'proto/health/v1/health.proto',
    );
    const health = clientFor(proto, ['grpc', 'health', 'v1', 'Health'], gateway.grpcAddress);
    for (const service of ['', 'inference.GRPCInferenceService', 'vision.v1.VisionService']) {
      const reply = await new Promise<{ status: string }>((resolvePromise, reject) =>
        health.Check({ service }, (error: Error | null, response: { status: string }) =>
          error ? reject(error) : resolvePromise(response),
        ),
      );
      expect([service, reply.status]).toEqual([service, 'SERVING']);
    }
    health.close();
  });

  it('lists and describes the services through grpc.reflection.v1', async () => {
    const proto = resolve(
      dirname(require.resolve('@grpc/reflection/package.json')),
      'build/proto/grpc/reflection/v1/reflection.proto',
    );
    const reflection = clientFor(
      proto,
      ['grpc', 'reflection', 'v1', 'ServerReflection'],
      gateway.grpcAddress,
    );
    const stream = reflection.ServerReflectionInfo() as ClientDuplexStream<
      object,
      Record<string, { service?: { name: string }[]; file_descriptor_proto?: Buffer[] }>
    >;
    const replies: Record<
      string,
      { service?: { name: string }[]; file_descriptor_proto?: Buffer[] }
    >[] = [];
    const done = new Promise<void>((resolvePromise, reject) => {
      stream.on('data', (reply: (typeof replies)[number]) => replies.push(reply));
      stream.on('end', resolvePromise);
      stream.on('error', reject);
    });
    stream.write({ list_services: '' });
    stream.write({ file_containing_symbol: 'inference.GRPCInferenceService' });
    stream.write({ file_containing_symbol: 'inference.ModelConfig' });
    stream.write({ file_containing_symbol: 'grpc.health.v1.Health' });
    stream.end();
    await done;
    const names = replies[0].list_services_response?.service?.map((service) => service.name) ?? [];
    // What `grpcurl list` shows: every service served, health included.
    expect(names).toEqual(
      expect.arrayContaining([
        'inference.GRPCInferenceService',
        'vision.v1.VisionService',
        'grpc.health.v1.Health',
      ]),
    );
    expect(
      replies[1].file_descriptor_response?.file_descriptor_proto?.[0].toString('latin1'),
    ).toContain('ModelInfer');
    const modelConfigFiles = replies[2].file_descriptor_response?.file_descriptor_proto ?? [];
    expect(modelConfigFiles.map((file) => file.toString('latin1')).join('')).toContain(
      'max_batch_size',
    );
    // `grpcurl describe grpc.health.v1.Health` needs its file: Check and Watch are in it.
    const healthFile = replies[3].file_descriptor_response?.file_descriptor_proto ?? [];
    expect(healthFile.map((file) => file.toString('latin1')).join('')).toMatch(/Check[\s\S]*Watch/);
    reflection.close();
  });

  it('offers connecting clients the bounded stream window and stream cap of its settings', async () => {
    const session = connect(`http://${gateway.grpcAddress}`);
    try {
      // The stream window arrives in a second SETTINGS frame, right after the server's first.
      const settings = await new Promise<Settings>((resolvePromise, reject) => {
        const timer = setTimeout(() => reject(new Error('no raised window within 5 s')), 5000);
        session.on('remoteSettings', (remote: Settings) => {
          if ((remote.initialWindowSize ?? 0) > 65_535) {
            clearTimeout(timer);
            resolvePromise(remote);
          }
        });
        session.on('error', reject);
      });
      // GATEWAY_GRPC_STREAM_WINDOW_BYTES and GATEWAY_GRPC_MAX_CONCURRENT_STREAMS by default.
      expect(settings).toMatchObject({
        initialWindowSize: 2 * 1024 * 1024,
        maxConcurrentStreams: 100,
      });
    } finally {
      session.close();
    }
  });
});
