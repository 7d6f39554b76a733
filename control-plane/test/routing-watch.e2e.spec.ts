/**
 * RoutingService.WatchRoutes on the real control plane (a child process, PGlite, its deployments
 * module as the source: no deployment yet, revision 0), with a grpc-js client in the gateway's
 * place. Pushing newer revisions as they come is tested in src/routing/routing-grpc.server.spec.ts.
 */
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { status, type Client } from '@grpc/grpc-js';
import { startChildService, type ChildService } from '@test-support';
import type { RoutingWatchReady } from './routing-watch.child';
import { routingClient, WatchStream } from './routing-watch-client';
import { createFixtureModelRepository } from './support/fixture-model-repository';
import { postGraphql } from './support/graphql-client';
import { TEST_ADMIN_KEY } from './support/test-credentials';
import { createTemporaryDirectory, removeDirectory } from './support/temporary-directory';
import { REPOSITORY_ROOT, typeScriptChildEnv } from './support/typescript-process';

const REPLICAS = `{ routingReplicas { gatewayId connected appliedRevision lastRejectedRevision lastRejectedReason peer } }`;

interface Replica {
  gatewayId: string;
  connected: boolean;
  appliedRevision: string;
  lastRejectedRevision: string | null;
  lastRejectedReason: string | null;
  peer: string;
}

describe('control plane routing watch (real app, gRPC client as a gateway)', () => {
  let workDir: string | undefined;
  let child: ChildService<RoutingWatchReady> | undefined;
  let ready: RoutingWatchReady;
  let client: Client;

  beforeAll(async () => {
    workDir = await createTemporaryDirectory('control-plane-routing');
    const fixture = await createFixtureModelRepository(path.join(workDir, 'models'));
    child = await startChildService({
      name: 'control plane with a test routing source',
      entry: path.join(__dirname, 'routing-watch.child.ts'),
      cwd: REPOSITORY_ROOT,
      env: typeScriptChildEnv({
        NODE_ENV: 'test',
        CONTROL_PLANE_HOST: '127.0.0.1',
        CONTROL_PLANE_GRPC_PORT: '0',
        MODEL_REPOSITORY: fixture.root,
        CONTROL_PLANE_DATA_DIR: path.join(workDir, 'data'),
        CONTROL_PLANE_BOOTSTRAP_ADMIN_KEY: TEST_ADMIN_KEY,
      }),
      stdout: 'collect',
      stderr: 'collect',
      ready: { message: (message) => message as RoutingWatchReady },
      startTimeoutMs: 90_000,
    });
    ready = child.ready;
    client = routingClient(ready.grpcAddress);
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await child?.kill();
    await removeDirectory(workDir);
  });

  const replicas = async (credential = ready.keys.viewer): Promise<Replica[]> => {
    const response = await postGraphql<{ routingReplicas: Replica[] }>(
      ready.baseUrl,
      REPLICAS,
      undefined,
      { credential },
    );
    expect(response.body.errors).toBeUndefined();
    return response.body.data!.routingReplicas;
  };
  const replica = async (id: string) => (await replicas()).find((r) => r.gatewayId === id);
  const eventually = async (check: () => Promise<boolean>, what: string): Promise<void> => {
    const deadline = Date.now() + 10_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`${what}: not within 10 s`);
      await sleep(20);
    }
  };

  it('sends the table at hello; acks and nacks show in routingReplicas', async () => {
    const watch = new WatchStream(client, ready.keys.operator);
    watch.send({ case: 'hello', value: { gatewayId: 'gateway-a', knownRevision: 0n } });
    const first = await watch.next();
    // No deployment yet: revision 0, no routes (identity).
    expect(first.revision).toBe(0n);
    expect(first.routes).toEqual([]);
    await eventually(async () => (await replica('gateway-a'))?.connected === true, 'listed');
    watch.send({ case: 'ack', value: { revision: 0n, applied: false, reason: 'test nack' } });
    await eventually(
      async () => (await replica('gateway-a'))?.lastRejectedReason === 'test nack',
      'the nack shows',
    );
    expect(await replica('gateway-a')).toMatchObject({
      appliedRevision: '0',
      lastRejectedRevision: '0',
      peer: expect.stringContaining('127.0.0.1'),
    });

    const second = new WatchStream(client, ready.keys.operator);
    second.send({ case: 'hello', value: { gatewayId: 'gateway-b', knownRevision: 41n } });
    await second.next();
    expect(await replica('gateway-b')).toMatchObject({ connected: true, appliedRevision: '41' });
    second.send({ case: 'ack', value: { revision: 0n, applied: true } });
    await eventually(
      async () => (await replica('gateway-b'))?.appliedRevision === '0',
      'the ack shows',
    );

    watch.close();
    second.close();
    await eventually(async () => (await replica('gateway-a'))?.connected === false, 'disconnected');
    expect(await replica('gateway-a')).toMatchObject({ lastRejectedReason: 'test nack' });
  });

  it('refuses a stream without a credential (UNAUTHENTICATED) or with a viewer key (PERMISSION_DENIED)', async () => {
    const anonymous = new WatchStream(client);
    anonymous.send({ case: 'hello', value: { gatewayId: 'anonymous' } });
    expect(await anonymous.ended).toMatchObject({ code: status.UNAUTHENTICATED });

    const viewer = new WatchStream(client, ready.keys.viewer);
    viewer.send({ case: 'hello', value: { gatewayId: 'viewer' } });
    expect(await viewer.ended).toMatchObject({
      code: status.PERMISSION_DENIED,
      details: expect.stringMatching(/operator/),
    });
    expect((await replicas()).map((r) => r.gatewayId)).not.toContain('viewer');
  });

  it('refuses a stream whose first message is not a hello (INVALID_ARGUMENT)', async () => {
    const watch = new WatchStream(client, ready.keys.operator);
    watch.send({ case: 'ack', value: { revision: 1n, applied: true } });
    expect(await watch.ended).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringMatching(/first message .* must be a hello/),
    });
  });

  it('lets a viewer read routingReplicas but not an anonymous caller', async () => {
    const anonymous = await postGraphql(ready.baseUrl, REPLICAS, undefined, { credential: null });
    expect(anonymous.status).toBe(401);
  });
});
