import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { type ChildResult } from '@test-support';

export const REPOSITORY_ROOT = path.resolve(__dirname, '../../..');

/**
 * Runs a TypeScript entry point in a child Node process compiled on the fly by @swc-node.
 * Code that opens PGlite runs out of process because PGlite loads Node built-ins with dynamic
 * import(), which Jest's module sandbox refuses without --experimental-vm-modules.
 */
export function spawnTypeScript(
  entryPoint: string,
  env: Record<string, string | undefined>,
  cwd: string = REPOSITORY_ROOT,
): ChildProcess {
  const register = require.resolve('@swc-node/register');
  return spawn(process.execPath, ['-r', register, path.resolve(REPOSITORY_ROOT, entryPoint)], {
    cwd,
    env: typeScriptChildEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * A child's environment: `env` over only what it needs of this one (a test's settings must not
 * leak in), and the repository's tsconfig for @swc-node wherever the child's cwd is.
 */
export function typeScriptChildEnv(
  env: Record<string, string | undefined>,
): Record<string, string | undefined> {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    SWC_NODE_PROJECT: path.join(REPOSITORY_ROOT, 'tsconfig.json'),
    ...env,
  };
}

/** Collects a child's stdout and stderr (interleaved) and resolves when it exits. */
export function collectOutput(child: ChildProcess): {
  output: () => string;
  exited: Promise<ChildResult>;
} {
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<ChildResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode, signal) => resolve({ exitCode, signal, output }));
  });
  return { output: () => output, exited };
}

export async function runTypeScript(
  entryPoint: string,
  env: Record<string, string | undefined>,
  cwd?: string,
): Promise<ChildResult> {
  return collectOutput(spawnTypeScript(entryPoint, env, cwd)).exited;
}
