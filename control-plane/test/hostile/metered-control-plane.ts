/**
 * A real control plane in a child process (metered-control-plane.child.ts, compiled on the fly by
 * @swc-node), with what a cost measurement reads from inside it over IPC: its longest event-loop
 * stall, its memory and how many database queries it has made.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { createFixtureModelRepository } from '../support/fixture-model-repository';
import { createTemporaryDirectory, removeDirectory } from '../support/temporary-directory';
import { REPOSITORY_ROOT } from '../support/typescript-process';
import type { InsideReading } from './metered-control-plane.child';

const START_TIMEOUT_MS = 120_000;
/** The child's output kept for a failure message: its last this many characters. */
const OUTPUT_KEPT = 64 * 1024;

export type { InsideReading };

const CHILD = path.join(__dirname, 'metered-control-plane.child.ts');

export interface MeteredControlPlane {
  baseUrl: string;
  host: string;
  port: number;
  /** Its process id, to read its memory from /proc. */
  pid: number;
  alive(): boolean;
  /** What the process saw from inside since the last call. Starts a new window. */
  inside(): Promise<InsideReading>;
  /** Its stdout and stderr so far (the end of them). */
  output(): string;
  /** SIGKILL, then removes its data folder. */
  stop(): Promise<void>;
}

/**
 * Starts a control plane (embedded PGlite in a temporary folder, a copy of the nanodet model
 * directory) with `env` over the defaults; NODE_ENV is `test` unless `env` says otherwise.
 */
export async function startMeteredControlPlane(
  env: Record<string, string> = {},
): Promise<MeteredControlPlane> {
  const workDir = await createTemporaryDirectory('metered-control-plane');
  const fixture = await createFixtureModelRepository(path.join(workDir, 'models'));
  const child = fork(CHILD, [], {
    cwd: REPOSITORY_ROOT,
    execArgv: ['-r', '@swc-node/register', '--expose-gc'],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      SWC_NODE_PROJECT: path.join(REPOSITORY_ROOT, 'tsconfig.json'),
      NODE_ENV: 'test',
      CONTROL_PLANE_HOST: '127.0.0.1',
      MODEL_REPOSITORY: fixture.root,
      CONTROL_PLANE_DATA_DIR: path.join(workDir, 'data'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-OUTPUT_KEPT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const address = await new Promise<{ host: string; port: number }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`control plane did not start within ${START_TIMEOUT_MS / 1000} s:\n${output}`),
      );
    }, START_TIMEOUT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`control plane exited during start-up (${code ?? signal}):\n${output}`));
    });
    child.once('message', (message: { host: string; port: number }) => {
      clearTimeout(timer);
      resolve(message);
    });
  });
  return {
    ...address,
    baseUrl: `http://${address.host}:${address.port}`,
    pid: child.pid ?? 0,
    alive: () => child.exitCode === null && child.signalCode === null,
    inside: () => readInside(child),
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      await removeDirectory(workDir);
    },
  };
}

function readInside(child: ChildProcess): Promise<InsideReading> {
  return new Promise((resolve, reject) => {
    const onExit = (): void => reject(new Error('the control plane process exited'));
    child.once('exit', onExit);
    child.once('message', (reading: InsideReading) => {
      child.off('exit', onExit);
      resolve(reading);
    });
    child.send('inside');
  });
}
