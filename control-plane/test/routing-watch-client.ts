import { create, type MessageInitShape } from '@bufbuild/protobuf';
import {
  Client,
  credentials,
  Metadata,
  type ClientDuplexStream,
  type StatusObject,
} from '@grpc/grpc-js';
import {
  GatewayMessageSchema,
  RoutingService,
  type GatewayMessage,
  type RoutingSnapshot,
} from '@contracts/generated/control/v1/routing_pb';
import { clientDefinition } from '@contracts/grpc/service-definition';

const METHOD = clientDefinition(RoutingService).watchRoutes;

/** One WatchRoutes stream as a gateway holds it, for tests: what arrives queues up. */
export class WatchStream {
  readonly ended: Promise<StatusObject>;
  private readonly received: RoutingSnapshot[] = [];
  private waiting?: (snapshot: RoutingSnapshot) => void;
  private readonly stream: ClientDuplexStream<GatewayMessage, RoutingSnapshot>;

  constructor(client: Client, credential?: string) {
    const metadata = new Metadata();
    if (credential) metadata.set('authorization', `Bearer ${credential}`);
    this.stream = client.makeBidiStreamRequest(
      METHOD.path,
      METHOD.requestSerialize as (message: GatewayMessage) => Buffer,
      METHOD.responseDeserialize as (bytes: Buffer) => RoutingSnapshot,
      metadata,
    );
    this.stream.on('data', (snapshot: RoutingSnapshot) => {
      if (this.waiting) this.waiting(snapshot);
      else this.received.push(snapshot);
    });
    this.stream.on('error', () => undefined);
    this.ended = new Promise((resolve) => this.stream.on('status', resolve));
  }

  send(message: MessageInitShape<typeof GatewayMessageSchema>['message']): void {
    this.stream.write(create(GatewayMessageSchema, { message }));
  }

  /** The next snapshot (within `withinMs`). */
  next(withinMs = 10_000): Promise<RoutingSnapshot> {
    const queued = this.received.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new Error(`no snapshot within ${withinMs} ms`));
      }, withinMs);
      this.waiting = (snapshot) => {
        clearTimeout(timer);
        this.waiting = undefined;
        resolve(snapshot);
      };
    });
  }

  close(): void {
    this.stream.cancel();
  }
}

export function routingClient(address: string): Client {
  return new Client(address, credentials.createInsecure());
}
