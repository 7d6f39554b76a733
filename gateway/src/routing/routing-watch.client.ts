import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import {
  Client,
  credentials,
  Metadata,
  status as GrpcStatus,
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
import { CONFIG_SLICE, type RoutingSettings } from '../config/gateway-config';
import { CALL_STATISTICS_REPORTS, type CallStatisticsReports } from './call-statistics-reports';
import { RoutingMetrics } from './routing-metrics';
import { RoutingState } from './routing-state';

type WatchStream = ClientDuplexStream<GatewayMessage, RoutingSnapshot>;
type OutgoingMessage = MessageInitShape<typeof GatewayMessageSchema>['message'];

/** Reconnect delays: from 100 ms, doubling, at most 1 s, so a returning control plane is followed within about a second. */
const BACKOFF_INITIAL_MS = 100;
const BACKOFF_MAX_MS = 1000;

/** HTTP/2 pings on an idle stream, so a control plane that vanished without a FIN is noticed in seconds. */
const CHANNEL_OPTIONS = {
  'grpc.keepalive_time_ms': 5000,
  'grpc.keepalive_timeout_ms': 5000,
  'grpc.keepalive_permit_without_calls': 1,
  // The channel's own reconnection follows the same bound as ours (grpc-js' default grows to 2 min).
  'grpc.initial_reconnect_backoff_ms': BACKOFF_INITIAL_MS,
  'grpc.max_reconnect_backoff_ms': BACKOFF_MAX_MS,
  'grpc.max_receive_message_length': 16 * 1024 * 1024,
} as const;

/**
 * Follows the control plane's routing table (GATEWAY_CONTROL_PLANE_ADDRESS): one WatchRoutes stream,
 * hello first, each snapshot applied and answered with an ack or a nack, the call statistics sent
 * every GATEWAY_STATISTICS_REPORT_MS. The stream is reopened with jittered backoff whenever it
 * ends; nothing here throws into the app, and readiness never waits for it (the persisted or
 * identity table serves meanwhile). A rejected snapshot is retried every report interval while it
 * is the newest, so one rejected while the backends were still loading is applied once they serve.
 */
@Injectable()
export class RoutingWatchClient implements OnApplicationBootstrap, OnApplicationShutdown {
  private static readonly method = clientDefinition(RoutingService).watchRoutes;
  private readonly logger = new Logger(RoutingWatchClient.name);
  private client?: Client;
  private stream?: WatchStream;
  private connected = false;
  private stopped = false;
  private attempt = 0;
  private reconnectTimer?: NodeJS.Timeout;
  private reportTimer?: NodeJS.Timeout;
  private lastProblem = '';
  /** Applies in arrival order: an ack always answers the snapshot before it. */
  private applying: Promise<void> = Promise.resolve();
  private rejected?: RoutingSnapshot;

  constructor(
    @Inject(CONFIG_SLICE.routing) private readonly settings: RoutingSettings,
    private readonly state: RoutingState,
    private readonly metrics: RoutingMetrics,
    @Optional()
    @Inject(CALL_STATISTICS_REPORTS)
    private readonly reports?: CallStatisticsReports,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const controlPlane = this.settings.controlPlane;
    if (!controlPlane) return;
    this.metrics.controlPlaneConnected.set(0);
    // The last known good table serves before the first snapshot can arrive.
    await this.state.loadPersisted();
    this.client = new Client(controlPlane.address, credentials.createInsecure(), CHANNEL_OPTIONS);
    this.reportTimer = setInterval(() => this.tick(), this.settings.statisticsReportMs);
    this.reportTimer.unref();
    this.open();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.reportTimer);
    this.stream?.cancel();
    this.client?.close();
  }

  private open(): void {
    if (this.stopped || !this.client) return;
    const metadata = new Metadata();
    const apiKey = this.settings.controlPlane?.apiKey;
    if (apiKey) metadata.set('authorization', `Bearer ${apiKey}`);
    const method = RoutingWatchClient.method;
    let stream: WatchStream;
    try {
      stream = this.client.makeBidiStreamRequest(
        method.path,
        method.requestSerialize as (message: GatewayMessage) => Buffer,
        method.responseDeserialize as (bytes: Buffer) => RoutingSnapshot,
        metadata,
      );
    } catch (error) {
      this.closed({ code: GrpcStatus.UNAVAILABLE, details: String(error) });
      return;
    }
    this.stream = stream;
    stream.on('data', (snapshot: RoutingSnapshot) => this.received(stream, snapshot));
    // 'error' carries the same status as 'status'; listened to so it is never unhandled.
    stream.on('error', () => undefined);
    stream.on('status', (status: StatusObject) => {
      if (this.stream === stream) this.closed(status);
    });
    this.send(stream, {
      case: 'hello',
      value: { gatewayId: this.settings.gatewayId, knownRevision: this.state.current.revision },
    });
  }

  private received(stream: WatchStream, snapshot: RoutingSnapshot): void {
    if (!this.connected) {
      this.connected = true;
      this.attempt = 0;
      this.metrics.controlPlaneConnected.set(1);
      this.lastProblem = '';
      this.logger.log(
        `Following the routing table of the control plane at ${this.settings.controlPlane?.address} as '${this.settings.gatewayId}'`,
      );
    }
    this.applying = this.applying.then(() => this.applyAndAnswer(stream, snapshot));
  }

  private async applyAndAnswer(stream: WatchStream, snapshot: RoutingSnapshot): Promise<void> {
    try {
      const result = await this.state.apply(snapshot, 'control_plane');
      this.rejected = result.applied ? undefined : snapshot;
      this.send(stream, {
        case: 'ack',
        value: {
          revision: snapshot.revision,
          applied: result.applied,
          reason: result.applied ? '' : result.reason,
        },
      });
    } catch (error) {
      this.logger.error(
        `Routing revision ${snapshot.revision} could not be applied: ${String(error)}`,
      );
    }
  }

  /** Every report interval: the call statistics, and another try of a rejected snapshot. */
  private tick(): void {
    const stream = this.stream;
    if (!stream || !this.connected) return;
    const rejected = this.rejected;
    if (rejected && rejected.revision >= this.state.current.revision) {
      this.rejected = undefined;
      this.applying = this.applying.then(() => this.applyAndAnswer(stream, rejected));
    }
    try {
      const report = this.reports?.drain();
      if (report) this.send(stream, { case: 'statistics', value: report });
    } catch (error) {
      this.logger.error(`Call statistics could not be reported: ${String(error)}`);
    }
  }

  private send(stream: WatchStream, message: OutgoingMessage): void {
    if (this.stream !== stream) return;
    try {
      stream.write(create(GatewayMessageSchema, { message }));
    } catch {
      // Written after the stream ended: its status event reconnects.
    }
  }

  private closed(status: Pick<StatusObject, 'code' | 'details'>): void {
    this.stream = undefined;
    const wasConnected = this.connected;
    this.connected = false;
    this.metrics.controlPlaneConnected.set(0);
    if (this.stopped) return;
    const problem = `${GrpcStatus[status.code] ?? status.code}: ${status.details}`;
    if (wasConnected || problem !== this.lastProblem) {
      this.logger.warn(
        `${wasConnected ? 'Lost' : 'No'} routing watch stream to the control plane at ${this.settings.controlPlane?.address} (${problem}); serving routing revision ${this.state.current.revision} and retrying`,
      );
    }
    this.lastProblem = problem;
    this.reconnectTimer = setTimeout(() => this.open(), this.nextDelayMs());
    this.reconnectTimer.unref();
  }

  /** Jittered exponential backoff: a fleet of gateways does not return in step. */
  private nextDelayMs(): number {
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 10);
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }
}
