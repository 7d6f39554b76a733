import { apiSecurityHeaders, registerCors } from '@http-edge';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { ACCESS } from './auth/access-policy';
import { Authenticator } from './auth/authenticator';
import { registerHttpAuth } from './auth/http/http-auth.hook';
import type { GatewayConfig } from './config/gateway-config';
import { GrpcServer } from './grpc-server/grpc-server';
import { configureFastify, smallBodyLimit } from './http-server/configure-fastify';
import { gatewayCorsPolicy } from './http-server/cors-policy';
import { HttpErrorFilter } from './http-server/http-error.filter';
import { frameworkErrorHandler, MAX_PARAM_LENGTH } from './http-server/framework-errors';
import { registerBodyGuard } from './http-server/body-guard';
import { httpServerOptions } from './http-server/http-server-options';
import { registerSecurityHeaders } from './http-server/security-headers';
import { SERVER_VERSION } from './kserve/server-identity';
import { buildOpenApiDocument } from './openapi/openapi-document';
import { OpenApiController } from './openapi/openapi.controller';
import { registerMultipartImages } from './vision/detect-bodies/multipart-images';
import { INFERENCE_BACKEND, type InferenceBackend } from './request-path/inference-backend';
import { GatewayLogger } from './logging/gateway-logger';
import { GatewayMetrics } from './metrics/gateway-metrics';
import { checkPortsFree, portError } from './startup/ports-free';
import { registerCallFollowing } from './http-server/http-call-trace';
import { FollowedCalls } from './tracing/followed-calls';

export interface RunningGateway {
  app: NestFastifyApplication;
  httpUrl: string;
  grpcAddress: string;
  close(): Promise<void>;
}

/** Builds and starts the gateway (HTTP + gRPC); used by main.ts and by end-to-end tests. */
export async function startGateway(config: GatewayConfig): Promise<RunningGateway> {
  // Before anything starts (and logs that it did): a taken port is one clear line.
  await checkPortsFree(config.host, [
    { setting: 'GATEWAY_HTTP_PORT', port: config.httpPort },
    { setting: 'GATEWAY_GRPC_PORT', port: config.grpcPort },
  ]);
  const securityHeaders = apiSecurityHeaders(config.hstsMaxAgeSeconds);
  // Tensor and image routes raise their own limit to maxBodyBytes (configureFastify).
  const adapter = new FastifyAdapter({
    bodyLimit: smallBodyLimit(config.maxBodyBytes),
    logger: false,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: frameworkErrorHandler(securityHeaders),
    // Deadlines, and what Node's parser refuses answered in our shape (http-server-options.ts).
    ...httpServerOptions(config.http, securityHeaders),
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forConfig(config),
    adapter,
    {
      logger: new GatewayLogger({ level: config.logLevel, format: config.logFormat }),
      bufferLogs: false,
      // configureFastify reads every body as a Buffer; Nest must not add its own JSON/form parsers.
      bodyParser: false,
    },
  );
  // Before any request: metric labels name only the models and versions the backend serves.
  app.get(GatewayMetrics).labelModelsServedBy(app.get<InferenceBackend>(INFERENCE_BACKEND));
  // The first onRequest hook: every request, refused ones included, gets its id, trace and log line.
  registerCallFollowing(app.getHttpAdapter().getInstance(), app.get(FollowedCalls));
  // On every answer, refusals by the auth hook and router errors included (security-headers.ts).
  registerSecurityHeaders(app.getHttpAdapter().getInstance(), securityHeaders);
  // Before authentication's hook: a preflight carries no credential (its route is public).
  await registerCors(app.getHttpAdapter().getInstance(), gatewayCorsPolicy(config.corsOrigins), {
    access: ACCESS.public,
  });
  // Before the routes exist (Nest adds them at listen) and before any body is read.
  registerHttpAuth(
    app.getHttpAdapter().getInstance(),
    app.get(Authenticator),
    config.auth.metricsPublic,
  );
  configureFastify(
    app.getHttpAdapter().getInstance(),
    app.get(GatewayMetrics),
    config.maxBodyBytes,
  );
  // Detect's multipart bodies, read part by part under their limits (configureFastify cleared
  // every parser first).
  registerMultipartImages(app.getHttpAdapter().getInstance(), {
    maxImages: config.detectMaxImages,
    maxBodyBytes: config.maxBodyBytes,
  });
  // After authentication (preParsing): only authenticated callers' bodies are read and counted.
  registerBodyGuard(app.getHttpAdapter().getInstance(), config.http);
  app.useGlobalFilters(new HttpErrorFilter());
  app.enableShutdownHooks();
  try {
    // Routes exist once the app is initialised: the document is built from them before any caller.
    await app.init();
    app.get(OpenApiController).publish(
      buildOpenApiDocument(app, app.getHttpAdapter().getInstance(), {
        version: SERVER_VERSION,
        metricsPublic: config.auth.metricsPublic,
      }),
    );
    await app.listen(config.httpPort, config.host);
  } catch (error) {
    // A start-up step failed (key store, port in use): release what started (backend workers,
    // connections) so a caller that carries on, like a test, is not left with them.
    await app.close().catch(() => undefined);
    // Taken since the check (a race): named like the check names it.
    const code = (error as NodeJS.ErrnoException | null)?.code;
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      throw portError(
        'GATEWAY_HTTP_PORT',
        config.host,
        config.httpPort,
        error as NodeJS.ErrnoException,
      );
    }
    throw error;
  }
  const address = app.getHttpServer().address();
  const httpPort = typeof address === 'object' && address ? address.port : config.httpPort;
  const grpcPort = app.get(GrpcServer).port ?? config.grpcPort;
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  return {
    app,
    httpUrl: `http://${host}:${httpPort}`,
    grpcAddress: `${host}:${grpcPort}`,
    close: () => app.close(),
  };
}
