import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { breakerMetrics } from '../breakers/breaker-metrics';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { OnnxRuntimeBackend } from './embedded/onnx-runtime.backend';
import { INFERENCE_BACKEND, type InferenceBackend } from '../request-path/inference-backend';
import { TritonBackend } from './triton/triton.backend';

type LoadedBackend = InferenceBackend & { close(): Promise<void> };

/** TRITON_GRPC_URLS set: Triton serves the models; otherwise the embedded ONNX Runtime does. */
async function createBackend(
  config: GatewayConfig,
  metrics: GatewayMetrics,
): Promise<LoadedBackend> {
  const backend =
    config.triton.urls.length > 0
      ? new TritonBackend({
          urls: config.triton.urls,
          timeoutMs: config.triton.timeoutMs,
          healthIntervalMs: config.triton.healthIntervalMs,
          maxMessageBytes: config.maxBodyBytes,
          repository: config.modelRepository,
          apiKey: config.triton.apiKey,
          breaker: config.breaker,
          retryBudget: config.triton.retryBudget,
          observer: breakerMetrics(metrics, 'triton'),
        })
      : new OnnxRuntimeBackend({
          repository: config.modelRepository,
          intraOpThreads: config.ortIntraOpThreads,
          modelControl: config.modelControlMode,
          breaker: config.breaker,
          observer: breakerMetrics(metrics, 'embedded-onnxruntime'),
        });
  await backend.load();
  return backend;
}

@Global()
@Module({
  providers: [
    {
      provide: INFERENCE_BACKEND,
      inject: [GATEWAY_CONFIG, GatewayMetrics],
      useFactory: createBackend,
    },
  ],
  exports: [INFERENCE_BACKEND],
})
export class InferenceModule implements OnApplicationShutdown {
  constructor(@Inject(INFERENCE_BACKEND) private readonly backend: LoadedBackend) {}

  async onApplicationShutdown(): Promise<void> {
    await this.backend.close();
  }
}
