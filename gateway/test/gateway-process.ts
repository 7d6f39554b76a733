/**
 * A real gateway in a child process (source compiled on the fly by @swc-node), for tests that must
 * kill a server the way a crash would: SIGKILL, no graceful shutdown, sockets closed by the kernel.
 * Run directly (forked by startGatewayProcess), it starts the gateway from its environment and
 * reports the addresses over IPC.
 */
import 'reflect-metadata';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchEventLoop, type InsideReading } from '@test-support';
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
export function startGatewayProcess(env: Record<string, string> = {}): Promise<GatewayProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gateway-process-'));
  const child = fork(__filename, [], {
    cwd: REPO_ROOT,
    // The flags and process environment production starts it with (package.json start:gateway),
    // so its costs are those.
    execArgv: ['-r', '@swc-node/register', ...GATEWAY_NODE_FLAGS],
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
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let exit: GatewayProcess['exit'];
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      rmSync(dataDir, { recursive: true, force: true });
      resolve();
    }),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gateway process did not start within ${START_TIMEOUT_MS / 1000} s`));
    }, START_TIMEOUT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`gateway process exited during start-up (code ${code}, signal ${signal})`));
    });
    child.once('message', (message: Addresses) => {
      clearTimeout(timer);
      resolve({
        ...message,
        pid: child.pid ?? 0,
        alive: () => child.exitCode === null && child.signalCode === null,
        get exit() {
          return exit;
        },
        inside: () => readInside(child),
        kill: () => kill(child, exited),
      });
    });
  });
}

function readInside(child: ChildProcess): Promise<InsideReading> {
  return new Promise((resolve, reject) => {
    const onExit = (): void => reject(new Error('the gateway process exited'));
    child.once('exit', onExit);
    child.once('message', (reading: InsideReading) => {
      child.off('exit', onExit);
      resolve(reading);
    });
    child.send('inside');
  });
}

function kill(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  return exited;
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
