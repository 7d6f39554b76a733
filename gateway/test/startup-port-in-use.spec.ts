/**
 * The gateway's real entry point (main.ts) started on a port something else holds: it says so in
 * one line naming the setting and the port, exits non-zero, and never first claims it started.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MODEL_REPOSITORY, REPO_ROOT, TEST_API_KEY } from './test-gateway';

function holdPort(): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/** Runs main.ts to its exit with `env`; its stdout and stderr together. */
function runMain(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gateway-port-'));
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'gateway/src/main.ts'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_HTTP_PORT: '0',
      GATEWAY_GRPC_PORT: '0',
      MODEL_REPOSITORY,
      LOG_LEVEL: 'log',
      GATEWAY_BOOTSTRAP_API_KEY: TEST_API_KEY,
      GATEWAY_DATA_DIR: dataDir,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => {
    // A gateway that did start would never exit: the test's timeout ends it, and fails.
    child.on('exit', (code) => {
      rmSync(dataDir, { recursive: true, force: true });
      resolve({ code, output });
    });
  });
}

describe('start-up on a port in use', () => {
  let taken: Server;
  let port: number;
  beforeAll(async () => {
    taken = await holdPort();
    port = (taken.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => taken.close(resolve)));

  it.each(['GATEWAY_HTTP_PORT', 'GATEWAY_GRPC_PORT'])(
    '%s: one line naming the setting and port, exit 1, no "started" line',
    async (setting) => {
      const { code, output } = await runMain({ [setting]: String(port) });
      expect(code).toBe(1);
      const lines = output.trim().split('\n');
      expect(lines).toEqual([
        `${setting}=${port}: port ${port} on 127.0.0.1 is already in use (another process, or the other port setting, listens there); free it or set ${setting} to another port`,
      ]);
      expect(output).not.toMatch(/started|listening/i);
    },
    120_000,
  );
});
