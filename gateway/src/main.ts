import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { loadGatewayConfig } from './config/gateway-config';
import { startGateway } from './gateway-app';

async function main(): Promise<void> {
  const config = loadGatewayConfig(process.env);
  const gateway = await startGateway(config);
  new Logger('Gateway').log(
    `HTTP on ${gateway.httpUrl}, gRPC on ${gateway.grpcAddress}, models from ${config.modelRepository}`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
