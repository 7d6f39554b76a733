import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { benchGatewayEnv } from './bench-credentials';
import { GATEWAY_NODE_FLAGS, GATEWAY_PROCESS_ENV } from './gateway-node-flags';

const REPO_ROOT = resolve(__dirname, '../..');
const START_TIMEOUT_MS = 120_000;

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
export function startProductionGateway(
  options: ProductionGatewayOptions = {},
): Promise<ProductionGateway> {
  const child = spawn(
    process.execPath,
    [...GATEWAY_NODE_FLAGS, '-r', '@swc-node/register', 'gateway/src/main.ts'],
    {
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
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  // It has no IPC channel to notice its parent going away: do not let it outlive this process.
  process.once('exit', () => child.kill('SIGKILL'));
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gateway did not start within ${START_TIMEOUT_MS / 1000} s`));
    }, START_TIMEOUT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited during start-up (code ${code}, signal ${signal})`));
    });
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const address = /HTTP on (http:\/\/[^\s,]+)/.exec(line)?.[1];
      if (!address || child.pid === undefined) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolveStart({ pid: child.pid, httpUrl: address, stop: () => stop(child) });
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  child.kill('SIGKILL');
  return exited;
}
