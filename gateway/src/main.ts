import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { loadGatewayConfig } from './config/gateway-config';
import { startGateway } from './gateway-app';
import { startIdleReclaim } from './process-memory/idle-reclaim';
import { blockOtherImageLoaders } from './vision/image-decoder-settings';

async function main(): Promise<void> {
  const config = loadGatewayConfig(process.env);
  blockOtherImageLoaders();
  const gateway = await startGateway(config);
  const logger = new Logger('Gateway');
  logger.log(
    `HTTP on ${gateway.httpUrl}, gRPC on ${gateway.grpcAddress}, models from ${config.modelRepository}`,
  );
  // Process-wide, so here rather than in startGateway: tests run several gateways in one process.
  const reclaiming = startIdleReclaim(config.idleReclaimMs, (error) =>
    logger.warn(`idle memory reclaim failed: ${String(error)}`),
  );
  if (!reclaiming && config.idleReclaimMs > 0) {
    logger.warn(
      'memory freed after bursts may stay in RSS for minutes: start node with --expose-gc ' +
        '(npm run start:gateway does) or set GATEWAY_IDLE_RECLAIM_MS=0 to silence this',
    );
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
