import { type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { collectOutput, type ProcessResult, spawnTypeScript } from './typescript-process';

const MAIN = 'control-plane/src/main.ts';

/** The real control plane (main.ts) running in a child process on a free local port. */
export class ControlPlaneProcess {
  private constructor(
    readonly baseUrl: string,
    private readonly child: ChildProcess,
    private readonly collected: ReturnType<typeof collectOutput>,
  ) {}

  static async start(
    env: Record<string, string | undefined>,
    { cwd, readyTimeoutMs = 60_000 }: { cwd?: string; readyTimeoutMs?: number } = {},
  ): Promise<ControlPlaneProcess> {
    const port = await findFreePort();
    const child = spawnTypeScript(
      MAIN,
      {
        NODE_ENV: 'test',
        CONTROL_PLANE_HOST: '127.0.0.1',
        CONTROL_PLANE_PORT: String(port),
        ...env,
      },
      cwd,
    );
    const running = new ControlPlaneProcess(
      `http://127.0.0.1:${port}`,
      child,
      collectOutput(child),
    );
    await running.waitUntilHealthy(readyTimeoutMs);
    return running;
  }

  get output(): string {
    return this.collected.output();
  }

  /** Asks for a graceful shutdown (SIGTERM) and waits for the process to end. */
  async stop(): Promise<ProcessResult> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.collected.exited;
  }

  private async waitUntilHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.collected.exited.then(() => (exited = true));
    while (!exited && Date.now() < deadline) {
      try {
        if ((await fetch(`${this.baseUrl}/healthz`)).ok) return;
      } catch {
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    this.child.kill('SIGKILL');
    await this.collected.exited;
    throw new Error(`control plane did not become healthy; its output:\n${this.output}`);
  }
}

async function findFreePort(): Promise<number> {
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
