/**
 * The child side of routing-watch.e2e.spec.ts (the app cannot load inside Jest): the real control
 * plane on free loopback ports (HTTP and gRPC); it stores a viewer and an operator key and reports
 * them with its addresses over IPC.
 */
import 'reflect-metadata';
import { type AddressInfo } from 'node:net';
import { newApiKeyRecord } from '@auth';
import {
  CONTROL_PLANE_API_KEY_STORE,
  type ControlPlaneApiKeyStore,
} from '../src/auth/api-key-store.provider';
import { loadControlPlaneConfig } from '../src/config/control-plane-config';
import { createControlPlaneApp } from '../src/control-plane-app';
import { RoutingGrpcServer } from '../src/routing/routing-grpc.server';

export interface RoutingWatchReady {
  baseUrl: string;
  grpcAddress: string;
  keys: { viewer: string; operator: string };
}

async function childMain(): Promise<void> {
  const config = loadControlPlaneConfig(process.env);
  const app = await createControlPlaneApp(config, { logger: ['error'] });
  app.enableShutdownHooks();
  await app.listen({ port: 0, host: config.host });
  const store = app.get<ControlPlaneApiKeyStore>(CONTROL_PLANE_API_KEY_STORE);
  const keys = { viewer: '', operator: '' };
  for (const role of ['viewer', 'operator'] as const) {
    const { record, key } = await newApiKeyRecord({ tenant: 'ops', scopes: [role] });
    await store.insert(record);
    keys[role] = key;
  }
  const { port } = app.getHttpServer().address() as AddressInfo;
  const ready: RoutingWatchReady = {
    baseUrl: `http://${config.host}:${port}`,
    grpcAddress: `${config.grpc.host}:${app.get(RoutingGrpcServer).port}`,
    keys,
  };
  process.send?.(ready);
  process.on('disconnect', () => process.exit(0));
}

if (require.main === module) {
  childMain().catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  });
}
