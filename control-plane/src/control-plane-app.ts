import { apiSecurityHeaders } from '@http-edge';
import { type LoggerService, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { type ControlPlaneConfig } from './config/control-plane-config';
import { GRAPHQL_PATH, isGraphiqlServed } from './graphql/control-plane-graphql.module';
import { HttpErrorFilter } from './http-server/http-error.filter';
import { configureHttpServer, httpServerOptions } from './http-server/http-server';
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
  const headers = apiSecurityHeaders(config.http.hstsMaxAgeSeconds);
  const adapter = new FastifyAdapter(httpServerOptions(config.http, headers));
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    // Throw instead of exiting the process, so callers (and tests) see the error.
    abortOnError: false,
    // configureHttpServer registers the only body parser (JSON).
    bodyParser: false,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  // Before init(), so that the hooks are in place before any route is registered.
  const fastify = adapter.getInstance();
  configureHttpServer(fastify, config.http, headers, {
    graphqlPath: GRAPHQL_PATH,
    graphiql: isGraphiqlServed(config),
  });
  installHttpRequestMetrics(fastify, app.get(ControlPlaneMetrics));
  app.useGlobalFilters(new HttpErrorFilter());
  return app;
}
