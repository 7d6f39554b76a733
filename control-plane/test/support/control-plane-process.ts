import { createServer } from 'node:net';
import * as path from 'node:path';
import { startChildService, type ChildResult, type ChildService } from '@test-support';
import { TEST_ADMIN_KEY } from './test-credentials';
import { REPOSITORY_ROOT, typeScriptChildEnv } from './typescript-process';

const MAIN = path.resolve(REPOSITORY_ROOT, 'control-plane/src/main.ts');
const HEALTH_POLL_MS = 200;

/** The real control plane (main.ts) running in a child process on a free local port. */
export class ControlPlaneProcess {
  private constructor(
    readonly baseUrl: string,
    private readonly service: ChildService<true>,
  ) {}

  static async start(
    env: Record<string, string | undefined>,
    {
      cwd,
      readyTimeoutMs = 60_000,
      port: fixedPort,
    }: { cwd?: string; readyTimeoutMs?: number; port?: number } = {},
  ): Promise<ControlPlaneProcess> {
    // A fixed port: a restarted control plane answers where its clients knew it.
    const port = fixedPort ?? (await findFreePort());
    const baseUrl = `http://127.0.0.1:${port}`;
    const service = await startChildService({
      name: 'control plane',
      entry: MAIN,
      cwd: cwd ?? REPOSITORY_ROOT,
      env: typeScriptChildEnv({
        NODE_ENV: 'test',
        CONTROL_PLANE_HOST: '127.0.0.1',
        CONTROL_PLANE_PORT: String(port),
        // A free port for the routing service unless the test names one (several control planes
        // run at once; NODE_ENV=test defaults to 0 too, but specs start them in other modes).
        CONTROL_PLANE_GRPC_PORT: '0',
        // The key postGraphql presents by default.
        CONTROL_PLANE_BOOTSTRAP_ADMIN_KEY: TEST_ADMIN_KEY,
        ...env,
      }),
      stdout: 'collect',
      stderr: 'collect',
      ready: { poll: () => healthy(baseUrl), everyMs: HEALTH_POLL_MS },
      startTimeoutMs: readyTimeoutMs,
    });
    return new ControlPlaneProcess(baseUrl, service);
  }

  get output(): string {
    return this.service.output();
  }

  /** Its process id, to read its memory from /proc. */
  get pid(): number {
    return this.service.pid;
  }

  /** SIGKILL: a crash, with no shutdown hooks. */
  async kill(): Promise<ChildResult> {
    return this.service.kill();
  }

  /** Asks for a graceful shutdown (SIGTERM) and waits for the process to end. */
  async stop(): Promise<ChildResult> {
    return this.service.stop();
  }
}

async function healthy(baseUrl: string): Promise<true | undefined> {
  try {
    return (await fetch(`${baseUrl}/healthz`)).ok || undefined;
  } catch {
    return undefined; // Not listening yet.
  }
}

export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}
