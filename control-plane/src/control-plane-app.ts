import { apiSecurityHeaders, registerCors } from '@http-edge';
import { type LoggerService, type LogLevel, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { ControlPlaneAuthenticator } from './auth/control-plane-authenticator';
import { registerGraphqlAuthentication } from './auth/graphql-authentication.hook';
import { type ControlPlaneConfig } from './config/control-plane-config';
import { GRAPHQL_PATH, isGraphiqlServed } from './graphql/control-plane-graphql.module';
import { HttpErrorFilter } from './http-server/http-error.filter';
import { configureHttpServer, httpServerOptions } from './http-server/http-server';
import { ControlPlaneMetrics } from './observability/control-plane-metrics';
import { installHttpRequestMetrics } from './observability/http-request-metrics.hook';

export interface ControlPlaneAppOptions {
  logger?: LoggerService | LogLevel[] | false;
  /** Modules added beside the app's own: tests mount probe resolvers and routes this way. */
  extraModules?: Type<unknown>[];
}

/** Builds the control plane (not yet listening); shared by main.ts and the end-to-end tests. */
export async function createControlPlaneApp(
  config: ControlPlaneConfig,
  options: ControlPlaneAppOptions = {},
): Promise<NestFastifyApplication> {
  const headers = apiSecurityHeaders(config.http.hstsMaxAgeSeconds);
  const adapter = new FastifyAdapter(httpServerOptions(config.http, headers));
  const root = AppModule.forRoot(config);
  const modules = options.extraModules ?? [];
  const rootModule =
    modules.length === 0 ? root : { ...root, imports: [...(root.imports ?? []), ...modules] };
  const app = await NestFactory.create<NestFastifyApplication>(rootModule, adapter, {
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
    uploadRequestTimeoutMs: config.uploads.requestTimeoutMs,
  });
  // A page of an allowed origin asks first (its JSON POST is not a simple request): the preflight
  // is answered before authentication, which it cannot pass (browsers send no credential with it).
  // The artifact uploads (POST, PATCH, HEAD with Upload-* fields) are allowed alike.
  await registerCors(fastify, {
    origins: config.http.corsOrigins,
    methods: ['GET', 'HEAD', 'POST', 'PATCH'],
    allowedHeaders: [
      'authorization',
      'x-api-key',
      'content-type',
      'x-request-id',
      'traceparent',
      'upload-length',
      'upload-offset',
      'upload-metadata',
    ],
    exposedHeaders: ['x-request-id', 'retry-after', 'location', 'upload-offset', 'upload-length'],
  });
  // After the route admission hooks (method, content type), before any body is read.
  registerGraphqlAuthentication(fastify, app.get(ControlPlaneAuthenticator), GRAPHQL_PATH);
  installHttpRequestMetrics(fastify, app.get(ControlPlaneMetrics));
  app.useGlobalFilters(new HttpErrorFilter());
  return app;
}
