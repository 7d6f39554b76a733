/**
 * A real control plane in a child process (metered-control-plane.child.ts, compiled on the fly by
 * @swc-node), with what a cost measurement reads from inside it over IPC: its longest event-loop
 * stall, its memory and how many database queries it has made.
 */
import { TEST_ADMIN_KEY } from '../support/test-credentials';
import * as path from 'node:path';
import { startChildService } from '@test-support';
import { createFixtureModelRepository } from '../support/fixture-model-repository';
import { createTemporaryDirectory, removeDirectory } from '../support/temporary-directory';
import { REPOSITORY_ROOT, typeScriptChildEnv } from '../support/typescript-process';
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
  const controlPlane = await startChildService({
    name: 'control plane',
    entry: CHILD,
    nodeFlags: ['--expose-gc'],
    cwd: REPOSITORY_ROOT,
    env: typeScriptChildEnv({
      NODE_ENV: 'test',
      CONTROL_PLANE_HOST: '127.0.0.1',
      MODEL_REPOSITORY: fixture.root,
      CONTROL_PLANE_DATA_DIR: path.join(workDir, 'data'),
      CONTROL_PLANE_BOOTSTRAP_ADMIN_KEY: TEST_ADMIN_KEY,
      // The test key stays verified for the whole suite: a re-check every 30 s would add a
      // database query to whichever reading it falls in.
      CONTROL_PLANE_API_KEY_CACHE_TTL_MS: '3600000',
      ...env,
    }),
    stdout: 'collect',
    stderr: 'collect',
    outputKept: OUTPUT_KEPT,
    ready: { message: (message) => message as { host: string; port: number } },
    startTimeoutMs: START_TIMEOUT_MS,
  });
  const { host, port } = controlPlane.ready;
  return {
    host,
    port,
    baseUrl: `http://${host}:${port}`,
    pid: controlPlane.pid,
    alive: controlPlane.alive,
    inside: async () => (await controlPlane.ask('inside')) as InsideReading,
    output: controlPlane.output,
    stop: async () => {
      await controlPlane.kill();
      await removeDirectory(workDir);
    },
  };
}
