import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ServerCredentials, type MethodDefinition } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { serverDefinition } from '@contracts/grpc/service-definition';
import {
  file_inference_grpc_service,
  GRPCInferenceService,
} from '@contracts/generated/inference/grpc_service_pb';
import { file_inference_model_config } from '@contracts/generated/inference/model_config_pb';
import { file_vision_v1_vision, VisionService } from '@contracts/generated/vision/v1/vision_pb';
import { file_vision_v1_streams, StreamService } from '@contracts/generated/vision/v1/streams_pb';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { KServeGrpcService } from '../kserve/grpc/kserve-grpc.service';
import { VisionGrpcService } from '../vision/vision-grpc.service';
import { StreamGrpcService } from '../streams/stream-grpc.service';
import { addReflection } from './grpc-reflection';
import { Authenticator } from '../auth/authenticator';
import { GuardedServer } from '../auth/grpc/grpc-guard';
import { ReadinessWatch } from '../health/readiness-watch';
import { ServingReadiness } from '../health/serving-readiness';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { callLimitsInterceptor } from './grpc-call-limits';
import { messageFramingInterceptor } from './message-framing.interceptor';
import { callTraceInterceptor } from './grpc-call-trace.interceptor';
import { FollowedCalls } from '../tracing/followed-calls';
import { http2ServersOf } from './http2-servers';
import { boundHttp2Sessions } from './http2-sessions';
import { Http2StreamHandoff } from './http2-stream-handoff';
import { PeerQuota } from './peer-quota';

/** Services whose grpc.health.v1 status follows the backend's readiness ('' is the whole server). */
const HEALTH_SERVICES = [
  '',
  GRPCInferenceService.typeName,
  VisionService.typeName,
  StreamService.typeName,
];

/** The gateway's gRPC port: KServe v2, the vision API, grpc.health.v1 and reflection, on one grpc-js server. */
@Injectable()
export class GrpcServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(GrpcServer.name);
  private readonly health = new HealthImplementation({ '': 'NOT_SERVING' });
  private server?: GuardedServer;
  private boundPort?: number;
  private readiness?: ReadinessWatch;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly serving: ServingReadiness,
    private readonly kserve: KServeGrpcService,
    private readonly vision: VisionGrpcService,
    private readonly streams: StreamGrpcService,
    private readonly authenticator: Authenticator,
    private readonly metrics: GatewayMetrics,
    private readonly followed: FollowedCalls,
  ) {}

  get port(): number | undefined {
    return this.boundPort;
  }

  /** Every method the server serves (each guarded), for the route audit. */
  get methods(): readonly MethodDefinition<unknown, unknown>[] {
    return this.server?.methods ?? [];
  }

  async onApplicationBootstrap(): Promise<void> {
    const limits = this.config.grpc;
    const handoff = new Http2StreamHandoff();
    // Every service added to it (ours, health, reflection) is authenticated and authorised per
    // method; the call limits come first (after the decoder swap, which must see grpc-js's own call),
    // so they bound calls that are still being authenticated.
    const server = new GuardedServer(
      {
        'grpc.max_receive_message_length': this.config.maxBodyBytes,
        'grpc.max_send_message_length': this.config.maxBodyBytes,
        'grpc.max_concurrent_streams': limits.maxConcurrentStreams,
        ...(limits.maxConnectionIdleMs > 0 && {
          'grpc.max_connection_idle_ms': limits.maxConnectionIdleMs,
        }),
        ...(limits.maxConnectionAgeMs > 0 && {
          'grpc.max_connection_age_ms': limits.maxConnectionAgeMs,
          // Calls in progress get as long to finish as a call may take by default.
          'grpc.max_connection_age_grace_ms': this.config.admission.defaultTimeoutMs,
        }),
        interceptors: [
          messageFramingInterceptor(this.config.maxBodyBytes),
          // Before the call limits, so that their refusals are followed (logged) too.
          callTraceInterceptor(this.followed),
          callLimitsInterceptor({
            receiveTimeoutMs: limits.receiveTimeoutMs,
            watches: new PeerQuota(limits.watches, {
              perPeer: 'GATEWAY_GRPC_MAX_WATCHES_PER_PEER',
              total: 'GATEWAY_GRPC_MAX_WATCHES',
            }),
            handoff,
          }),
        ],
      },
      this.authenticator,
      (route, seconds) =>
        this.metrics.observeRequest({ protocol: 'grpc', route, status: 400 }, seconds),
    );
    server.addService(serverDefinition(GRPCInferenceService), this.kserve.implementation());
    server.addService(serverDefinition(VisionService), this.vision.implementation());
    server.addService(serverDefinition(StreamService), this.streams.implementation());
    this.health.addToServer(server);
    addReflection(server, [
      file_inference_model_config,
      file_inference_grpc_service,
      file_vision_v1_vision,
      file_vision_v1_streams,
    ]);
    this.boundPort = await new Promise<number>((resolve, reject) => {
      server.bindAsync(
        `${this.config.host}:${this.config.grpcPort}`,
        ServerCredentials.createInsecure(),
        // grpc-js says "No address added"; the cause is in its message (port taken since the check).
        (error, port) =>
          error
            ? reject(
                new Error(
                  `GATEWAY_GRPC_PORT=${this.config.grpcPort}: cannot listen on ${this.config.host}:${this.config.grpcPort}: ${error.message}`,
                ),
              )
            : resolve(port),
      );
    });
    // One quota for every address the server listens on.
    const connections = new PeerQuota(limits.connections, {
      perPeer: 'GATEWAY_GRPC_MAX_CONNECTIONS_PER_PEER',
      total: 'GATEWAY_GRPC_MAX_CONNECTIONS',
    });
    for (const http2Server of http2ServersOf(server)) {
      handoff.attach(http2Server);
      boundHttp2Sessions(http2Server, {
        streamWindowBytes: limits.streamWindowBytes,
        maxConcurrentStreams: limits.maxConcurrentStreams,
        connections,
      });
    }
    this.server = server;
    // Not once at start-up: a Triton that goes away (and comes back) must show in Check and Watch.
    this.readiness = new ReadinessWatch(
      () => this.serving.isReady(),
      this.config.readinessPollMs,
      (ready) => this.setHealth(ready ? 'SERVING' : 'NOT_SERVING'),
    );
    this.readiness.start();
    this.logger.log(`gRPC listening on ${this.config.host}:${this.boundPort}`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.readiness?.stop();
    if (!server) return;
    this.setHealth('NOT_SERVING');
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 5000);
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  private setHealth(status: 'SERVING' | 'NOT_SERVING'): void {
    for (const service of HEALTH_SERVICES) this.health.setStatus(service, status);
  }
}
