import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import {
  Server,
  ServerCredentials,
  status,
  type ServerDuplexStream,
  type StatusObject,
} from '@grpc/grpc-js';
import {
  RoutingService,
  type GatewayMessage,
  type RoutingSnapshot,
} from '@contracts/generated/control/v1/routing_pb';
import {
  MalformedMessage,
  serverDefinition,
  type ImplementationOf,
} from '@contracts/grpc/service-definition';
import { type ControlPlaneConfig } from '../config/control-plane-config';
import { CONTROL_PLANE_CONFIG } from '../config/control-plane-config.module';
import type { RoutingSnapshotSource } from '../deployments/canary-analysis-contract';
import { RoutingSnapshots } from '../deployments/routing-snapshots.service';
import { GrpcCallerAuthentication, GrpcRefusal } from './grpc-caller';
import { RoutingReplicas } from './routing-replicas';

type WatchCall = ServerDuplexStream<GatewayMessage | MalformedMessage, RoutingSnapshot>;

/** A gateway's messages are a hello, acks and statistics reports: 64 KiB is ample. */
const MAX_MESSAGE_BYTES = 64 * 1024;
/** Open WatchRoutes streams; a gateway holds one. */
const MAX_STREAMS = 256;
/** A stream that sends no hello this soon is ended. */
const HELLO_TIMEOUT_MS = 10_000;
const SHUTDOWN_GRACE_MS = 2000;

/** One open stream, once it said hello. */
interface Watcher {
  call: WatchCall;
  gatewayId: string;
  /** The newest revision sent; never one older after it. */
  sent?: bigint;
}

/**
 * RoutingService.WatchRoutes on a gRPC port of its own (CONTROL_PLANE_GRPC_HOST/PORT): every
 * gateway holds one stream, gets the routing table at once and every newer revision as it
 * commits, and answers each with an ack; its call statistics come on the same stream. Callers
 * authenticate like HTTP callers and need the operator role.
 */
@Injectable()
export class RoutingGrpcServer implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RoutingGrpcServer.name);
  private readonly calls = new Set<WatchCall>();
  private readonly watchers = new Set<Watcher>();
  private server?: Server;
  private boundPort?: number;
  private stopListening?: () => void;
  /** A refresh is running; `refreshAgain`: a change came meanwhile (bursts coalesce to one more). */
  private refreshing = false;
  private refreshAgain = false;

  constructor(
    @Inject(CONTROL_PLANE_CONFIG) private readonly config: ControlPlaneConfig,
    private readonly authentication: GrpcCallerAuthentication,
    private readonly replicas: RoutingReplicas,
    // The deployments module's; typed by the contract, so tests can hand in a source of their own.
    @Inject(RoutingSnapshots) private readonly source: RoutingSnapshotSource,
  ) {}

  /** The bound port (an ephemeral one when configured as 0); undefined before start. */
  get port(): number | undefined {
    return this.boundPort;
  }

  async onModuleInit(): Promise<void> {
    const server = new Server({
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      // Pings on idle streams: a gateway that vanished is listed as disconnected within seconds.
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5000,
    });
    const implementation: ImplementationOf<typeof RoutingService> = {
      watchRoutes: (call) => this.watch(call),
    };
    server.addService(serverDefinition(RoutingService), implementation);
    const { host, port } = this.config.grpc;
    this.boundPort = await new Promise<number>((resolve, reject) => {
      server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (error, bound) =>
        error
          ? reject(
              new Error(`gRPC routing server cannot listen on ${host}:${port}: ${error.message}`),
            )
          : resolve(bound),
      );
    });
    this.server = server;
    this.stopListening = this.source.onChange(() => void this.refresh());
    this.logger.log(`gRPC routing service (WatchRoutes) listening on ${host}:${this.boundPort}`);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopListening?.();
    const server = this.server;
    if (!server) return;
    // Streams never end by themselves: end them, so tryShutdown can finish; gateways reconnect.
    for (const call of this.calls) call.end();
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, SHUTDOWN_GRACE_MS);
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  private watch(call: WatchCall): void {
    call.on('error', () => undefined);
    if (this.calls.size >= MAX_STREAMS) {
      refuse(
        call,
        status.RESOURCE_EXHAUSTED,
        `at most ${MAX_STREAMS} routing watch streams are open at once`,
      );
      return;
    }
    this.calls.add(call);
    let watcher: Watcher | undefined;
    const helloTimer = setTimeout(
      () => refuse(call, status.INVALID_ARGUMENT, `no hello within ${HELLO_TIMEOUT_MS} ms`),
      HELLO_TIMEOUT_MS,
    );
    const ended = (): void => {
      clearTimeout(helloTimer);
      if (!this.calls.delete(call)) return;
      if (watcher) {
        this.watchers.delete(watcher);
        this.replicas.disconnected(watcher.gatewayId);
      }
    };
    call.on('close', ended);
    call.on('finish', ended);
    call.on('cancelled', ended);
    this.authentication.authorize(call.metadata, call.getPeer(), 'operator').then(
      () => {
        // Messages that came meanwhile waited in the stream's buffer.
        call.on('data', (message: GatewayMessage | MalformedMessage) => {
          if (!this.calls.has(call)) return;
          if (message instanceof MalformedMessage) {
            refuse(
              call,
              status.INVALID_ARGUMENT,
              `malformed ${message.typeName}: ${message.reason}`,
            );
          } else if (!watcher) {
            clearTimeout(helloTimer);
            watcher = this.hello(call, message);
          } else {
            this.handle(watcher, message);
          }
        });
        call.on('end', () => call.end());
      },
      (error: unknown) => {
        const refusal =
          error instanceof GrpcRefusal
            ? error
            : new GrpcRefusal(status.UNAVAILABLE, 'the credential could not be checked');
        refuse(call, refusal.code, refusal.details);
      },
    );
  }

  private hello(call: WatchCall, message: GatewayMessage): Watcher | undefined {
    if (message.message.case !== 'hello') {
      refuse(call, status.INVALID_ARGUMENT, 'the first message of WatchRoutes must be a hello');
      return undefined;
    }
    const { gatewayId, knownRevision } = message.message.value;
    if (gatewayId === '' || gatewayId.length > 128) {
      refuse(call, status.INVALID_ARGUMENT, 'hello.gateway_id must be 1-128 characters');
      return undefined;
    }
    const watcher: Watcher = { call, gatewayId };
    this.watchers.add(watcher);
    this.replicas.connected(gatewayId, knownRevision, call.getPeer());
    void this.source.current().then(
      (snapshot) => this.send(watcher, snapshot),
      (error: unknown) => {
        this.logger.error(
          `The routing table could not be read for '${gatewayId}': ${String(error)}`,
        );
        refuse(call, status.UNAVAILABLE, 'the routing table cannot be read now');
      },
    );
    return watcher;
  }

  private handle(watcher: Watcher, message: GatewayMessage): void {
    const { gatewayId, call } = watcher;
    switch (message.message.case) {
      case 'ack': {
        const { revision, applied, reason } = message.message.value;
        this.replicas.acked(gatewayId, revision, applied, reason);
        if (!applied)
          this.logger.warn(
            `Gateway '${gatewayId}' rejected routing revision ${revision}: ${reason}`,
          );
        return;
      }
      case 'statistics':
        this.replicas.statistics(gatewayId, message.message.value);
        return;
      default:
        refuse(call, status.INVALID_ARGUMENT, 'a stream says hello once');
    }
  }

  /** Sends the newest table to every stream; changes that come while it reads coalesce. */
  private async refresh(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = true;
    try {
      do {
        this.refreshAgain = false;
        const snapshot = await this.source.current();
        for (const watcher of this.watchers) this.send(watcher, snapshot);
      } while (this.refreshAgain);
    } catch (error) {
      this.logger.error(`The routing table could not be read after a change: ${String(error)}`);
    } finally {
      this.refreshing = false;
    }
  }

  private send(watcher: Watcher, snapshot: RoutingSnapshot): void {
    if (!this.watchers.has(watcher)) return;
    if (watcher.sent !== undefined && snapshot.revision <= watcher.sent) return;
    watcher.sent = snapshot.revision;
    watcher.call.write(snapshot);
  }
}

/** Ends `call` with an error status (grpc-js sends what the server stream's 'error' carries). */
function refuse(call: WatchCall, code: status, details: string): void {
  const error: Partial<StatusObject> = { code, details };
  call.emit('error', error);
}
