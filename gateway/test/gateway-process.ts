/**
 * A real gateway in a child process (source compiled on the fly by @swc-node), for tests that must
 * kill a server the way a crash would: SIGKILL, no graceful shutdown, sockets closed by the kernel.
 * Run directly (forked by startGatewayProcess), it starts the gateway from its environment and
 * reports the addresses over IPC.
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChildService, watchEventLoop, type InsideReading } from '@test-support';
import { GATEWAY_NODE_FLAGS, GATEWAY_PROCESS_ENV } from '../../load-tests/lib/gateway-node-flags';
import { loadGatewayConfig } from '../src/config/gateway-config';
import { startGateway } from '../src/gateway-app';
import { startIdleReclaim } from '../src/process-memory/idle-reclaim';
import { MODEL_REPOSITORY, REPO_ROOT, TEST_API_KEY } from './test-gateway';

const START_TIMEOUT_MS = 60_000;

interface Addresses {
  httpUrl: string;
  grpcAddress: string;
}

export interface GatewayProcess extends Addresses {
  /** Its process id, to read its own memory and CPU from /proc. */
  pid: number;
  /** Whether the process is still running (it did not crash). */
  alive(): boolean;
  /** Its exit code and signal once it is gone (a crash names them). */
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  /**
   * What the process saw from inside since the last call: the longest event-loop stall and its
   * memory now (heap, external, array buffers). Starts a new window.
   */
  inside(): Promise<InsideReading>;
  /** SIGKILL: the crash case. Resolves once the process is gone. */
  kill(): Promise<void>;
}

/**
 * Starts a gateway (embedded backend, loopback, ephemeral ports unless `env` names them), with the
 * admin key TEST_API_KEY and an API key store of its own.
 */
export async function startGatewayProcess(
  env: Record<string, string> = {},
): Promise<GatewayProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gateway-process-'));
  const removeDataDir = (): void => rmSync(dataDir, { recursive: true, force: true });
  const gateway = await startChildService({
    name: 'gateway',
    entry: __filename,
    // The flags and process environment production starts it with (package.json start:gateway),
    // so its costs are those.
    nodeFlags: GATEWAY_NODE_FLAGS,
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      ...GATEWAY_PROCESS_ENV,
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_HTTP_PORT: '0',
      GATEWAY_GRPC_PORT: '0',
      MODEL_REPOSITORY,
      ORT_INTRA_OP_THREADS: '1',
      LOG_LEVEL: 'error',
      GATEWAY_BOOTSTRAP_API_KEY: TEST_API_KEY,
      GATEWAY_DATA_DIR: dataDir,
      ...env,
    },
    stdout: 'inherit',
    stderr: 'inherit',
    ready: { message: (message) => message as Addresses },
    startTimeoutMs: START_TIMEOUT_MS,
  }).catch((error: unknown) => {
    removeDataDir();
    throw error;
  });
  void gateway.ended.then(removeDataDir);
  const { httpUrl, grpcAddress } = gateway.ready;
  return {
    httpUrl,
    grpcAddress,
    pid: gateway.pid,
    alive: gateway.alive,
    get exit() {
      const result = gateway.result;
      return result && { code: result.exitCode, signal: result.signal };
    },
    inside: async () => (await gateway.ask('inside')) as InsideReading,
    kill: async () => {
      await gateway.kill();
    },
  };
}

async function childMain(): Promise<void> {
  const config = loadGatewayConfig(process.env);
  const gateway = await startGateway(config);
  // As main.ts does, so a child's memory after a burst is what production's would be.
  startIdleReclaim(config.idleReclaimMs, () => undefined);
  const eventLoop = watchEventLoop();
  process.on('message', (message) => {
    if (message !== 'inside') return;
    const reading: InsideReading = { ...eventLoop.take(), memory: process.memoryUsage() };
    process.send?.(reading);
  });
  process.send?.({ httpUrl: gateway.httpUrl, grpcAddress: gateway.grpcAddress });
  // The test process went away (even killed): do not outlive it holding ports and cores.
  process.on('disconnect', () => process.exit(0));
}

if (require.main === module) {
  childMain().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
