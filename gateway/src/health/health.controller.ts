import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Controller, Get, HttpCode, HttpStatus, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ACCESS } from '../auth/access-policy';
import { Access } from '../auth/http/access.decorator';
import { INFERENCE_BACKEND, type InferenceBackend } from '../request-path/inference-backend';
import { ServingReadiness, type UnreadyModel } from './serving-readiness';

interface ReadyzAnswer {
  status: 'ready' | 'not ready';
  backend: string;
  backendReady: boolean;
  /** The models served now. */
  models: string[];
  /** Required models that do not serve, with the reason (GATEWAY_REQUIRED_MODELS). */
  unready: UnreadyModel[];
}

/** Kubernetes probes: live while the process serves HTTP; ready once the required models serve. */
@ApiTags('probes')
@Controller()
export class HealthController {
  constructor(
    @Inject(INFERENCE_BACKEND) private readonly backend: InferenceBackend,
    private readonly readiness: ServingReadiness,
  ) {}

  @Get('healthz')
  @Access(ACCESS.public)
  @ApiOperation({ summary: 'Liveness: the process serves HTTP' })
  @HttpCode(200)
  live(): { status: string } {
    return { status: 'ok' };
  }

  /** 200 when ready, else 503 with the same body: an operator reads why from the probe itself. */
  @Get('readyz')
  @Access(ACCESS.public)
  @ApiOperation({ summary: 'Readiness: 200 when the required models serve, else 503 saying why' })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<ReadyzAnswer> {
    const report = await this.readiness.freshReport();
    if (!report.ready) reply.status(HttpStatus.SERVICE_UNAVAILABLE);
    return {
      status: report.ready ? 'ready' : 'not ready',
      backend: this.backend.name,
      backendReady: report.backendReady,
      models: report.backendReady ? this.backend.listModels().map((model) => model.name) : [],
      unready: report.unready,
    };
  }
}
