import { resolve } from 'node:path';
import { startChildService } from '@test-support';
import { benchGatewayEnv } from './bench-credentials';
import { GATEWAY_NODE_FLAGS, GATEWAY_PROCESS_ENV } from './gateway-node-flags';

const REPO_ROOT = resolve(__dirname, '../..');
const START_TIMEOUT_MS = 120_000;
/** Its log kept for a start-up failure: the last this many characters. */
const OUTPUT_KEPT = 64 * 1024;

export interface ProductionGateway {
  pid: number;
  httpUrl: string;
  stop(): Promise<void>;
}

export interface ProductionGatewayOptions {
  /** Settings on top of loopback, ephemeral ports, the bench key and one ONNX Runtime thread. */
  env?: Record<string, string>;
  /** The process environment glibc reads at start; GATEWAY_PROCESS_ENV unless told otherwise. */
  processEnv?: Readonly<Record<string, string>>;
}

/**
 * The gateway as `npm run start:gateway` runs it: gateway/src/main.ts (so whatever main.ts does for
 * the whole process runs too), with the production node flags and process environment, the
 * source compiled on the fly by @swc-node. Ready once main.ts logs its addresses.
 */
export async function startProductionGateway(
  options: ProductionGatewayOptions = {},
): Promise<ProductionGateway> {
  const gateway = await startChildService({
    name: 'gateway',
    entry: 'gateway/src/main.ts',
    nodeFlags: GATEWAY_NODE_FLAGS,
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      ...(options.processEnv ?? GATEWAY_PROCESS_ENV),
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_HTTP_PORT: '0',
      GATEWAY_GRPC_PORT: '0',
      MODEL_REPOSITORY: resolve(REPO_ROOT, 'triton-models'),
      ORT_INTRA_OP_THREADS: '1',
      LOG_LEVEL: 'log',
      LOG_FORMAT: 'json',
      ...benchGatewayEnv(),
      ...options.env,
    },
    stdout: 'collect',
    stderr: 'inherit',
    outputKept: OUTPUT_KEPT,
    ready: { line: (line) => /HTTP on (http:\/\/[^\s,]+)/.exec(line)?.[1] },
    startTimeoutMs: START_TIMEOUT_MS,
    // It has no IPC channel to notice its parent going away: do not let it outlive this process.
    killOnParentExit: true,
  });
  return {
    pid: gateway.pid,
    httpUrl: gateway.ready,
    stop: async () => {
      await gateway.kill();
    },
  };
}
