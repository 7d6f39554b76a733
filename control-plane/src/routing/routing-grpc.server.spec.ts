import { create } from '@bufbuild/protobuf';
import { status, type Client } from '@grpc/grpc-js';
import {
  RoutingSnapshotSchema,
  type RoutingSnapshot,
} from '@contracts/generated/control/v1/routing_pb';
import { routingClient, WatchStream } from '../../test/routing-watch-client';
import { loadControlPlaneConfig } from '../config/control-plane-config';
import type { RoutingSnapshotSource } from '../deployments/canary-analysis-contract';
import { GrpcRefusal, type GrpcCallerAuthentication } from './grpc-caller';
import { RoutingGrpcServer } from './routing-grpc.server';
import { RoutingReplicas } from './routing-replicas';

/** A source in the test's hands; `current()` waits while `gate` is held, as a slow database would. */
class TestSource implements RoutingSnapshotSource {
  revision = 1n;
  reads = 0;
  gate?: Promise<void>;
  private readonly listeners = new Set<(revision: bigint) => void>();

  async current(): Promise<RoutingSnapshot> {
    this.reads += 1;
    const revision = this.revision;
    await this.gate;
    return create(RoutingSnapshotSchema, { revision });
  }

  onChange(listener: (revision: bigint) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  change(): void {
    this.revision += 1n;
    for (const listener of this.listeners) listener(this.revision);
  }
}

describe('RoutingGrpcServer (in-process, a test source and authentication)', () => {
  let source: TestSource;
  let server: RoutingGrpcServer;
  let client: Client;
  let allowed: boolean;

  beforeEach(async () => {
    source = new TestSource();
    allowed = true;
    const authentication = {
      authorize: () =>
        allowed
          ? Promise.resolve({ tenant: 'ops', subject: 'key:ops', scopes: ['operator'] })
          : Promise.reject(new GrpcRefusal(status.UNAUTHENTICATED, 'authentication required')),
    } as unknown as GrpcCallerAuthentication;
    const config = loadControlPlaneConfig({ NODE_ENV: 'test', CONTROL_PLANE_HOST: '127.0.0.1' });
    server = new RoutingGrpcServer(config, authentication, new RoutingReplicas(), source);
    await server.onModuleInit();
    client = routingClient(`127.0.0.1:${server.port}`);
  });

  afterEach(async () => {
    client.close();
    await server.onApplicationShutdown();
  });

  it('sends the current table at hello, then each newer revision, coalescing a burst', async () => {
    const watch = new WatchStream(client, 'key');
    watch.send({ case: 'hello', value: { gatewayId: 'g' } });
    expect((await watch.next()).revision).toBe(1n);

    source.change();
    expect((await watch.next()).revision).toBe(2n);

    // Three changes while a read is in progress: one more read, the newest revision, once.
    let open!: () => void;
    source.gate = new Promise((resolve) => (open = resolve));
    const readsBefore = source.reads;
    source.change();
    source.change();
    source.change();
    open();
    source.gate = undefined;
    // The read begun at revision 3, then one more for the changes that came during it.
    expect((await watch.next()).revision).toBe(3n);
    expect((await watch.next()).revision).toBe(5n);
    expect(source.reads - readsBefore).toBe(2);
    watch.close();
  });

  it('never sends a revision older than one it sent', async () => {
    const watch = new WatchStream(client, 'key');
    watch.send({ case: 'hello', value: { gatewayId: 'g' } });
    expect((await watch.next()).revision).toBe(1n);
    source.revision = 7n;
    source.change(); // 8
    expect((await watch.next()).revision).toBe(8n);
    source.revision = 2n; // a read that lags (another replica's stale view)
    source.change(); // 3
    await expect(watch.next(300)).rejects.toThrow(/no snapshot/);
    watch.close();
  });

  it('ends a stream whose credential is refused with its status, and one that ends the server', async () => {
    allowed = false;
    const refused = new WatchStream(client);
    refused.send({ case: 'hello', value: { gatewayId: 'g' } });
    expect(await refused.ended).toMatchObject({ code: status.UNAUTHENTICATED });

    allowed = true;
    const open = new WatchStream(client, 'key');
    open.send({ case: 'hello', value: { gatewayId: 'g' } });
    await open.next();
    const started = Date.now();
    await server.onApplicationShutdown();
    // Streams are ended rather than waited for: the shutdown does not need its 2 s grace.
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await open.ended).toMatchObject({ code: status.OK });
  });
});
