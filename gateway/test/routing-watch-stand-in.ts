/**
 * A stand-in for the control plane's RoutingService (an in-process grpc-js server, not the control
 * plane): it serves the snapshot the test sets, records what gateways send, and can be stopped and
 * started again on the same port. The real server is tested in control-plane/test/routing-watch.e2e.spec.ts.
 */
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { Server, ServerCredentials, type ServerDuplexStream } from '@grpc/grpc-js';
import {
  RoutingService,
  RoutingSnapshotSchema,
  type GatewayHello,
  type GatewayMessage,
  type RoutingAck,
  type RoutingSnapshot,
} from '@contracts/generated/control/v1/routing_pb';
import { serverDefinition, type MalformedMessage } from '@contracts/grpc/service-definition';

type Call = ServerDuplexStream<GatewayMessage | MalformedMessage, RoutingSnapshot>;

export class RoutingStandIn {
  readonly hellos: GatewayHello[] = [];
  readonly acks: RoutingAck[] = [];
  readonly authorizations: string[] = [];
  private snapshot: RoutingSnapshot = create(RoutingSnapshotSchema, { revision: 0n });
  private readonly calls = new Set<Call>();
  private server?: Server;
  port = 0;

  async start(): Promise<void> {
    const server = new Server();
    server.addService(serverDefinition(RoutingService), {
      watchRoutes: (call: Call) => this.watch(call),
    });
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        `127.0.0.1:${this.port}`,
        ServerCredentials.createInsecure(),
        (error, port) => (error ? reject(error) : resolve(port)),
      ),
    );
    this.server = server;
  }

  /** Gone at once, as a crashed control plane: streams are reset, nothing is answered. */
  stop(): void {
    this.server?.forceShutdown();
    this.server = undefined;
    this.calls.clear();
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Serves `init` from now on and pushes it to every open stream. */
  publish(init: MessageInitShape<typeof RoutingSnapshotSchema>): RoutingSnapshot {
    this.snapshot = create(RoutingSnapshotSchema, { createdUnixMs: BigInt(Date.now()), ...init });
    for (const call of this.calls) call.write(this.snapshot);
    return this.snapshot;
  }

  ackFor(revision: bigint): RoutingAck | undefined {
    return this.acks.find((ack) => ack.revision === revision);
  }

  private watch(call: Call): void {
    this.authorizations.push(String(call.metadata.get('authorization')[0] ?? ''));
    call.on('error', () => undefined);
    call.on('data', (message: GatewayMessage) => {
      const { case: kind, value } = message.message;
      if (kind === 'hello') {
        this.hellos.push(value);
        this.calls.add(call);
        call.write(this.snapshot);
      } else if (kind === 'ack') {
        this.acks.push(value);
      }
    });
    call.on('cancelled', () => this.calls.delete(call));
  }
}
