import { Controller, Get, HttpCode, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ACCESS } from '../auth/access-policy';
import { Access } from '../auth/http/access.decorator';
import { INFERENCE_BACKEND, type InferenceBackend } from '../request-path/inference-backend';

/** Kubernetes probes: live while the process serves HTTP; ready once the backend has its models. */
@Controller()
export class HealthController {
  constructor(@Inject(INFERENCE_BACKEND) private readonly backend: InferenceBackend) {}

  @Get('healthz')
  @Access(ACCESS.public)
  @HttpCode(200)
  live(): { status: string } {
    return { status: 'ok' };
  }

  @Get('readyz')
  @Access(ACCESS.public)
  ready(): { status: string; backend: string; models: string[] } {
    if (!this.backend.isReady())
      throw new ServiceUnavailableException('inference backend not ready');
    return {
      status: 'ready',
      backend: this.backend.name,
      models: this.backend.listModels().map((model) => model.name),
    };
  }
}
