/**
 * Runs one gateway in its own process for a benchmark (started by
 * ../detect-overhead/gateway-process.ts), so its CPU and memory can be read from /proc apart from
 * the load generator's. Configuration comes from the environment exactly as for
 * `npm run start:gateway`; the addresses go back over the IPC channel. BENCH_GATEWAY_SRC names the
 * gateway to run: its sources (`gateway/src`, through the TypeScript register the parent loads) or
 * the compiled gateway (`dist/gateway/gateway/src`, as production runs it).
 */
'use strict';
require('reflect-metadata');
const { resolve } = require('node:path');

const app = resolve(__dirname, '../..', process.env.BENCH_GATEWAY_SRC ?? 'gateway/src');
const { loadGatewayConfig } = require(`${app}/config/gateway-config`);
const { startGateway } = require(`${app}/gateway-app`);

async function main() {
  const gateway = await startGateway(loadGatewayConfig(process.env));
  process.send?.({ httpUrl: gateway.httpUrl, grpcAddress: gateway.grpcAddress });
  const exit = () => {
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

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
