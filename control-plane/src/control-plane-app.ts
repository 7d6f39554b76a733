import { type LoggerService, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { type ControlPlaneConfig } from './config/control-plane-config';
import { ControlPlaneMetrics } from './observability/control-plane-metrics';
import { installHttpRequestMetrics } from './observability/http-request-metrics.hook';

export interface ControlPlaneAppOptions {
  logger?: LoggerService | LogLevel[] | false;
}

/** Builds the control plane (not yet listening); shared by main.ts and the end-to-end tests. */
export async function createControlPlaneApp(
  config: ControlPlaneConfig,
  options: ControlPlaneAppOptions = {},
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter();
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    // Throw instead of exiting the process, so callers (and tests) see the error.
    abortOnError: false,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  // Before init(), so that the hook is in place before any route is registered.
  installHttpRequestMetrics(adapter.getInstance(), app.get(ControlPlaneMetrics));
  return app;
}
