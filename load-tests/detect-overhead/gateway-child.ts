/**
 * Runs one gateway in its own process for the benchmark (forked by gateway-process.ts), so its CPU
 * and memory can be read from /proc apart from the load generator's. Configuration comes from the
 * environment exactly as for `npm run start:gateway`; the addresses go back over the IPC channel.
 */
import 'reflect-metadata';
import { loadGatewayConfig } from '../../gateway/src/config/gateway-config';
import { startGateway } from '../../gateway/src/gateway-app';

export interface GatewayReady {
  httpUrl: string;
  grpcAddress: string;
}

async function main(): Promise<void> {
  const gateway = await startGateway(loadGatewayConfig(process.env));
  const ready: GatewayReady = { httpUrl: gateway.httpUrl, grpcAddress: gateway.grpcAddress };
  process.send?.(ready);
  const exit = (): void => {
    void gateway.close().finally(() => process.exit(0));
  };
  // The parent went away (even killed): do not outlive it holding ports and cores.
  process.on('disconnect', exit);
  // A normal exit, unlike a signal, lets `node --cpu-prof` write its profile (profile.ts).
  process.on('message', (message) => {
    if (message !== 'exit') return;
    process.send?.('exiting');
    exit();
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
