import { dirname, resolve } from 'node:path';
import {
  credentials,
  loadPackageDefinition,
  type ClientReadableStream,
  type GrpcObject,
  type ServiceClientConstructor,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

type HealthStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

/** grpc.health.v1.Health over the .proto that grpc-health-check ships (public: no credential). */
export interface HealthClient {
  check(service?: string): Promise<HealthStatus>;
  /** Every status `Watch` reports for `service`, in order, as it arrives. */
  watch(service?: string): { statuses: HealthStatus[]; cancel(): void };
  close(): void;
}

export function healthClient(address: string): HealthClient {
  const protoFile = resolve(
    dirname(require.resolve('grpc-health-check/package.json')),
    'proto/health/v1/health.proto',
  );
  const definition = loadPackageDefinition(
    loadSync(protoFile, { keepCase: true, enums: String, includeDirs: [dirname(protoFile)] }),
  );
  const Health = ((definition.grpc as GrpcObject).health as GrpcObject).v1 as GrpcObject;
  const Constructor = Health.Health as ServiceClientConstructor;
  const client = new Constructor(address, credentials.createInsecure()) as unknown as {
    Check(
      request: { service: string },
      callback: (error: Error | null, response: { status: HealthStatus }) => void,
    ): void;
    Watch(request: { service: string }): ClientReadableStream<{ status: HealthStatus }>;
    close(): void;
  };
  return {
    check: (service = '') =>
      new Promise((resolvePromise, reject) =>
        client.Check({ service }, (error, response) =>
          error ? reject(error) : resolvePromise(response.status),
        ),
      ),
    watch: (service = '') => {
      const statuses: HealthStatus[] = [];
      const stream = client.Watch({ service });
      stream.on('data', (response: { status: HealthStatus }) => statuses.push(response.status));
      stream.on('error', () => undefined); // cancel() ends the stream with CANCELLED
      return { statuses, cancel: () => stream.cancel() };
    },
    close: () => client.close(),
  };
}
