import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { OnnxRuntimeBackend } from './embedded/onnx-runtime.backend';
import { INFERENCE_BACKEND } from './inference-backend';
import { InferencePipeline } from './inference-pipeline';

@Global()
@Module({
  providers: [
    {
      provide: INFERENCE_BACKEND,
      inject: [GATEWAY_CONFIG],
      useFactory: async (config: GatewayConfig): Promise<OnnxRuntimeBackend> => {
        const backend = new OnnxRuntimeBackend({
          repository: config.modelRepository,
          intraOpThreads: config.ortIntraOpThreads,
        });
        await backend.load();
        return backend;
      },
    },
    InferencePipeline,
  ],
  exports: [INFERENCE_BACKEND, InferencePipeline],
})
export class InferenceModule implements OnApplicationShutdown {
  constructor(@Inject(INFERENCE_BACKEND) private readonly backend: OnnxRuntimeBackend) {}

  async onApplicationShutdown(): Promise<void> {
    await this.backend.close();
  }
}
