/**
 * A real MLflow tracking server for tests (`mlflow==3.17.2` in .venv-mlflow, installed by
 * scripts/setup.sh --test): SQLite backend and proxied artifacts in a throwaway directory, on
 * loopback and a free port, one worker. Not startChildService (which runs Node entries): the
 * server is Python and forks uvicorn, so it gets its own process group and is stopped as a group,
 * as gateway/test/redis-server.ts stops Redis; an exit hook kills whatever is left.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { missingPrerequisite } from '@test-support';
import { createTemporaryDirectory, removeDirectory } from './temporary-directory';

const ROOT = path.resolve(__dirname, '../../..');
const VENV = path.join(ROOT, '.venv-mlflow');
export const MLFLOW_PYTHON = path.join(VENV, 'bin', 'python');
const MLFLOW_BIN = path.join(VENV, 'bin', 'mlflow');
const LOG_RUN_SCRIPT = path.join(__dirname, 'log-mlflow-run.py');
// ~15 s on two cores; room for a loaded CI machine.
const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 10_000;

/** Why the MLflow server cannot run here, with how to install it; undefined when it can. */
export function mlflowPrerequisite(): string | undefined {
  if (existsSync(MLFLOW_BIN) && existsSync(MLFLOW_PYTHON)) return undefined;
  return `${path.relative(ROOT, MLFLOW_BIN)} not found: run scripts/setup.sh --test (it installs mlflow==3.17.2 into .venv-mlflow).`;
}

/** Inside a describe(): fails under CI=true, else skips with a warning, when MLflow is missing. */
export function withoutMlflow(what: string): boolean {
  return missingPrerequisite(`a real MLflow server (${what})`, mlflowPrerequisite());
}

export interface MlflowServer {
  uri: string;
  stop(): Promise<void>;
}

// The server's environment: nothing of ours (no proxies, no tokens), no telemetry, and no job
// runner (MLflow 3 starts seven huey worker processes for GenAI jobs by default).
function serverEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: 'C.UTF-8',
    MLFLOW_DISABLE_TELEMETRY: 'true',
    DO_NOT_TRACK: 'true',
    MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false',
  };
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

export async function startMlflowServer(): Promise<MlflowServer> {
  const prerequisite = mlflowPrerequisite();
  if (prerequisite !== undefined) throw new Error(prerequisite);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => running.forEach((child) => killGroup(child, 'SIGKILL')));
  }
  const dir = await createTemporaryDirectory('control-plane-mlflow');
  const port = await freePort();
  const uri = `http://127.0.0.1:${port}`;
  const child = spawn(
    MLFLOW_BIN,
    [
      'server',
      '--backend-store-uri',
      `sqlite:///${path.join(dir, 'mlflow.db')}`,
      '--artifacts-destination',
      path.join(dir, 'artifacts'),
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--workers',
      '1',
    ],
    { cwd: dir, env: serverEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  running.add(child);
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', () => undefined);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      running.delete(child);
      resolve();
    }),
  );

  const stop = async (): Promise<void> => {
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
    // uvicorn may outlive the launcher by a moment; the group is gone after SIGKILL either way.
    killGroup(child, 'SIGKILL');
    await removeDirectory(dir);
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`mlflow server exited during start-up; its output:\n${output}`);
    }
    if (await healthy(uri)) return { uri, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`mlflow server not healthy within ${START_TIMEOUT_MS / 1000} s:\n${output}`);
    }
    await sleep(250);
  }
}

async function healthy(uri: string): Promise<boolean> {
  try {
    const response = await fetch(`${uri}/health`, { signal: AbortSignal.timeout(2_000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

export interface LoggedRun {
  runId: string;
  experimentId: string;
  experimentName: string;
  artifactPath: string;
  dataset: { name: string; digest: string };
  registeredVersion?: string;
}

/** Logs a training run with log-mlflow-run.py (see there for what it holds). */
export async function logMlflowRun(
  uri: string,
  options: { onnx: string; experiment?: string; modelName?: string; alias?: string },
): Promise<LoggedRun> {
  const args = [LOG_RUN_SCRIPT, '--tracking-uri', uri, '--onnx', options.onnx];
  if (options.experiment !== undefined) args.push('--experiment', options.experiment);
  if (options.modelName !== undefined) args.push('--model-name', options.modelName);
  if (options.alias !== undefined) args.push('--alias', options.alias);
  const { stdout } = await promisify(execFile)(MLFLOW_PYTHON, args, {
    env: serverEnv(),
    timeout: 120_000,
    maxBuffer: 1024 * 1024,
  });
  // MLflow prints "View run ..." lines on stdout too; the result is the last line.
  const last = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as LoggedRun;
}

/** A port free on loopback now (the server binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
