import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateApiKey } from '@auth';
import { loadGatewayConfig } from '../gateway/src/config/gateway-config';
import { startGateway, type RunningGateway } from '../gateway/src/gateway-app';

/**
 * Runs `use` against a real gateway in this process, on loopback ephemeral ports, with a one-off
 * admin key and key store of its own (removed afterwards): what the render and record scripts need.
 */
export async function withOneOffGateway<T>(
  use: (gateway: RunningGateway, key: string) => Promise<T>,
): Promise<T> {
  const { key } = generateApiKey();
  const dataDir = mkdtempSync(join(tmpdir(), 'one-off-gateway-'));
  const gateway = await startGateway(
    loadGatewayConfig({
      ...process.env,
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_HTTP_PORT: '0',
      GATEWAY_GRPC_PORT: '0',
      LOG_LEVEL: 'warn',
      GATEWAY_BOOTSTRAP_API_KEY: key,
      GATEWAY_DATA_DIR: dataDir,
    }),
  );
  try {
    return await use(gateway, key);
  } finally {
    await gateway.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
