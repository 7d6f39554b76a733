import { GATEWAY_NODE_FLAGS, GATEWAY_PROCESS_ENV } from '../lib/gateway-node-flags';
import { fork, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { benchGatewayEnv } from '../lib/bench-credentials';
import type { GatewayReady } from './gateway-child';
import { MODEL_REPOSITORY, REPO_ROOT } from './settings';

const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 10_000;

export interface GatewayProcess extends GatewayReady {
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts the real gateway (source compiled on the fly by @swc-node, as the in-process paths are)
 * in a child process on ephemeral loopback ports, with the given ONNX Runtime thread count, the
 * benchmark API key (lib/bench-credentials.ts) and any further settings in `env`.
 */
export function startGatewayProcess(
  ortIntraOpThreads: number,
  env: Record<string, string> = {},
): Promise<GatewayProcess> {
  const child = fork(resolve(__dirname, 'gateway-child.ts'), [], {
    cwd: REPO_ROOT,
    execArgv: ['-r', '@swc-node/register', ...GATEWAY_NODE_FLAGS],
    env: {
      ...process.env,
      ...GATEWAY_PROCESS_ENV,
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_HTTP_PORT: '0',
      GATEWAY_GRPC_PORT: '0',
      MODEL_REPOSITORY,
      ORT_INTRA_OP_THREADS: String(ortIntraOpThreads),
      LOG_LEVEL: 'error',
      ...benchGatewayEnv(),
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gateway did not start within ${START_TIMEOUT_MS / 1000} s`));
    }, START_TIMEOUT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited during start-up (code ${code}, signal ${signal})`));
    });
    child.once('message', (message: unknown) => {
      clearTimeout(timer);
      if (!isReady(message) || child.pid === undefined) {
        child.kill('SIGKILL');
        reject(
          new Error(`unexpected start-up message from the gateway: ${JSON.stringify(message)}`),
        );
        return;
      }
      resolveStart({ ...message, pid: child.pid, stop: () => stop(child) });
    });
  });
}

function isReady(message: unknown): message is GatewayReady {
  if (typeof message !== 'object' || message === null) return false;
  const candidate = message as Record<string, unknown>;
  return typeof candidate.httpUrl === 'string' && typeof candidate.grpcAddress === 'string';
}

/** SIGTERM lets Nest close its servers and ONNX sessions; SIGKILL if that takes too long. */
function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveStop) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveStop();
    });
    child.kill('SIGTERM');
  });
}
