/**
 * The benchmarks' gateway child running the compiled gateway (`nest build gateway`, dist/), as
 * `npm run start:gateway` runs it in production: no TypeScript compiler in its heap. Same protocol
 * as ../detect-overhead/gateway-child.ts (addresses over IPC; 'exit' asks for a normal exit).
 */
'use strict';
require('reflect-metadata');
const { resolve } = require('node:path');
const dist = resolve(__dirname, '../../dist/gateway/gateway/src');
const { loadGatewayConfig } = require(`${dist}/config/gateway-config`);
const { startGateway } = require(`${dist}/gateway-app`);

async function main() {
  const gateway = await startGateway(loadGatewayConfig(process.env));
  process.send?.({ httpUrl: gateway.httpUrl, grpcAddress: gateway.grpcAddress });
  const exit = () => {
    void gateway.close().finally(() => process.exit(0));
  };
  process.on('disconnect', exit);
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
