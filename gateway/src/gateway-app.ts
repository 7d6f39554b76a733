import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import type { GatewayConfig } from './config/gateway-config';
import { GrpcServer } from './grpc-server/grpc-server';
import { configureFastify } from './http-server/configure-fastify';
import { HttpErrorFilter } from './http-server/http-error.filter';
import { GatewayMetrics } from './metrics/gateway-metrics';

export interface RunningGateway {
  app: NestFastifyApplication;
  httpUrl: string;
  grpcAddress: string;
  close(): Promise<void>;
}

/** Builds and starts the gateway (HTTP + gRPC); used by main.ts and by end-to-end tests. */
export async function startGateway(config: GatewayConfig): Promise<RunningGateway> {
  const adapter = new FastifyAdapter({ bodyLimit: config.maxBodyBytes, logger: false });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forConfig(config),
    adapter,
    {
      logger: loggerLevels(config.logLevel),
      bufferLogs: false,
      // configureFastify reads every body as a Buffer; Nest must not add its own JSON/form parsers.
      bodyParser: false,
    },
  );
  configureFastify(
    app.getHttpAdapter().getInstance(),
    app.get(GatewayMetrics),
    config.maxBodyBytes,
  );
  app.useGlobalFilters(new HttpErrorFilter());
  app.enableShutdownHooks();
  await app.listen(config.httpPort, config.host);
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

function loggerLevels(
  level: GatewayConfig['logLevel'],
): ('error' | 'warn' | 'log' | 'debug' | 'verbose')[] {
  const order = ['error', 'warn', 'log', 'debug', 'verbose'] as const;
  return order.slice(0, order.indexOf(level) + 1);
}
