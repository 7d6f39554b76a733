import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { serverDefinition } from '@contracts/grpc/service-definition';
import { raiseFlowControlWindow } from './flow-control-window';
import {
  file_inference_grpc_service,
  GRPCInferenceService,
} from '@contracts/generated/inference/grpc_service_pb';
import { file_inference_model_config } from '@contracts/generated/inference/model_config_pb';
import { file_vision_v1_vision, VisionService } from '@contracts/generated/vision/v1/vision_pb';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { INFERENCE_BACKEND, type InferenceBackend } from '../inference/inference-backend';
import { KServeGrpcService } from '../kserve/grpc/kserve-grpc.service';
import { VisionGrpcService } from '../vision/vision-grpc.service';
import { addReflection } from './grpc-reflection';

/** The gateway's gRPC port: KServe v2, the vision API, grpc.health.v1 and reflection, on one grpc-js server. */
@Injectable()
export class GrpcServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(GrpcServer.name);
  private readonly health = new HealthImplementation({ '': 'NOT_SERVING' });
  private server?: Server;
  private boundPort?: number;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(INFERENCE_BACKEND) private readonly backend: InferenceBackend,
    private readonly kserve: KServeGrpcService,
    private readonly vision: VisionGrpcService,
  ) {}

  get port(): number | undefined {
    return this.boundPort;
  }

  async onApplicationBootstrap(): Promise<void> {
    const server = new Server({
      'grpc.max_receive_message_length': this.config.maxBodyBytes,
      'grpc.max_send_message_length': this.config.maxBodyBytes,
    });
    server.addService(serverDefinition(GRPCInferenceService), this.kserve.implementation());
    server.addService(serverDefinition(VisionService), this.vision.implementation());
    this.health.addToServer(server);
    addReflection(server, [
      file_inference_model_config,
      file_inference_grpc_service,
      file_vision_v1_vision,
    ]);
    this.boundPort = await new Promise<number>((resolve, reject) => {
      server.bindAsync(
        `${this.config.host}:${this.config.grpcPort}`,
        ServerCredentials.createInsecure(),
        (error, port) => (error ? reject(error) : resolve(port)),
      );
    });
    raiseFlowControlWindow(server, this.config.maxBodyBytes);
    this.server = server;
    const serving = this.backend.isReady() ? 'SERVING' : 'NOT_SERVING';
    for (const service of ['', GRPCInferenceService.typeName, VisionService.typeName]) {
      this.health.setStatus(service, serving);
    }
    this.logger.log(`gRPC listening on ${this.config.host}:${this.boundPort}`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.health.setStatus('', 'NOT_SERVING');
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
}
