import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { startChildService } from '@test-support';
import { benchGatewayEnv } from '../lib/bench-credentials';
import { GATEWAY_NODE_FLAGS, GATEWAY_PROCESS_ENV } from '../lib/gateway-node-flags';
import { MODEL_REPOSITORY, REPO_ROOT } from './settings';

const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 10_000;

export interface GatewayProcessOptions {
  /** More node flags (e.g. `--cpu-prof`). */
  nodeFlags?: readonly string[];
  /**
   * Run the compiled gateway (dist/, `buildGateway()` first) as `npm run start:gateway` does,
   * instead of the sources through the TypeScript register, whose compiler would sit in its heap.
   */
  compiled?: boolean;
}

/** `nest build gateway`: the compiled gateway that `compiled: true` runs (about 15 s). */
export function buildGateway(): void {
  execFileSync('npx', ['nest', 'build', 'gateway'], { cwd: REPO_ROOT, stdio: 'inherit' });
}

/** What the child (../lib/gateway-child.js) hands back once it serves. */
export interface GatewayReady {
  httpUrl: string;
  grpcAddress: string;
}

export interface GatewayProcess extends GatewayReady {
  pid: number;
  stop(): Promise<void>;
  /** Asks it to close and exit with status 0 (a signal would lose a `--cpu-prof` profile). */
  exit(): Promise<void>;
}

/**
 * Starts the real gateway (its sources compiled on the fly by @swc-node, as the in-process paths
 * are, or the compiled gateway) in a child process on ephemeral loopback ports, with the given ONNX Runtime thread count, the
 * benchmark API key (lib/bench-credentials.ts) and any further settings in `env`.
 */
export async function startGatewayProcess(
  ortIntraOpThreads: number,
  env: Record<string, string> = {},
  { nodeFlags = [], compiled = false }: GatewayProcessOptions = {},
): Promise<GatewayProcess> {
  const gateway = await startChildService({
    name: 'gateway',
    entry: resolve(__dirname, '../lib/gateway-child.js'),
    compiled,
    nodeFlags: [...GATEWAY_NODE_FLAGS, ...nodeFlags],
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      ...GATEWAY_PROCESS_ENV,
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_HTTP_PORT: '0',
      GATEWAY_GRPC_PORT: '0',
      MODEL_REPOSITORY,
      ORT_INTRA_OP_THREADS: String(ortIntraOpThreads),
      LOG_LEVEL: 'error',
      BENCH_GATEWAY_SRC: compiled ? 'dist/gateway/gateway/src' : 'gateway/src',
      ...benchGatewayEnv(),
      ...env,
    },
    stdout: 'inherit',
    stderr: 'inherit',
    ready: { message: readyMessage },
    startTimeoutMs: START_TIMEOUT_MS,
  });
  return {
    ...gateway.ready,
    pid: gateway.pid,
    // SIGTERM lets Nest close its servers and ONNX sessions; SIGKILL if that takes too long.
    stop: async () => {
      await gateway.stop(STOP_TIMEOUT_MS);
    },
    exit: async () => {
      await gateway.ask('exit');
      await gateway.ended;
    },
  };
}

function readyMessage(message: unknown): GatewayReady {
  if (typeof message === 'object' && message !== null) {
    const candidate = message as Record<string, unknown>;
    if (typeof candidate.httpUrl === 'string' && typeof candidate.grpcAddress === 'string') {
      return { httpUrl: candidate.httpUrl, grpcAddress: candidate.grpcAddress };
    }
  }
  throw new Error(`unexpected start-up message from the gateway: ${JSON.stringify(message)}`);
}
