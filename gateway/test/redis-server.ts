/**
 * A real Redis server for tests (Debian's `redis-server`, installed by scripts/setup.sh --test): on
 * loopback, a free port, no persistence, a throwaway working directory. It can be stopped, killed,
 * frozen (SIGSTOP: it keeps its connections but answers nothing) and restarted on the same port.
 * A synchronous exit hook SIGKILLs whatever is still running when the test process ends.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missingPrerequisite } from '@test-support';

const BINARY = process.env.REDIS_SERVER_BIN ?? 'redis-server';
const READY_TIMEOUT_MS = 10_000;

/** Why redis-server cannot run here, with how to install it; undefined when it can. */
export function redisServerPrerequisite(): string | undefined {
  const probe = spawnSync(BINARY, ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    return `'${BINARY}' not found: install Debian's redis-server (scripts/setup.sh --test does).`;
  }
  return undefined;
}

/** Inside a describe(): fails under CI=true, else skips with a warning, when Redis is missing. */
export function withoutRedis(what: string): boolean {
  return missingPrerequisite(`a real Redis server (${what})`, redisServerPrerequisite());
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

export class RedisServer {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private output = '';
  private readonly dir = mkdtempSync(join(tmpdir(), 'gateway-redis-'));

  private constructor(readonly port: number) {
    installExitHook();
  }

  /** Starts a server on a free port; resolves once it accepts connections. */
  static async start(): Promise<RedisServer> {
    for (let attempt = 1; ; attempt += 1) {
      const server = new RedisServer(await freePort());
      try {
        await server.launch();
        return server;
      } catch (error) {
        // Another process may take the port between the pick and the bind.
        if (attempt >= 3 || !/Address already in use/i.test(server.output)) throw error;
        await server.dispose();
      }
    }
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get isRunning(): boolean {
    return this.child !== undefined;
  }

  /** SIGKILL: the server vanishes as in a crash; its data (none is persisted) is gone. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** SIGTERM, as an orderly shutdown. */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  /** SIGSTOP: connections stay open, commands get no answer, until resume(). */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** Starts it again on the same port (killing it first if it is still running). */
  async restart(): Promise<void> {
    if (this.child) await this.kill();
    await this.launch();
  }

  /** Stops the server for good and removes its working directory. */
  async dispose(): Promise<void> {
    if (this.child) {
      this.resume();
      await this.signal('SIGKILL');
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.resume(); // a frozen process only acts on SIGTERM once it runs again
    child.kill(signal);
    await this.exited;
  }

  private launch(): Promise<void> {
    this.output = '';
    // --save '' and --appendonly no: nothing on disk, so a restart starts empty.
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--dir',
      this.dir,
      '--loglevel',
      'notice',
    ];
    const child = spawn(BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    running.add(child);
    this.exited = new Promise((resolve) => {
      child.once('exit', () => {
        running.delete(child);
        if (this.child === child) this.child = undefined;
        resolve();
      });
    });
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`redis-server not ready after ${READY_TIMEOUT_MS} ms:\n${this.output}`));
      }, READY_TIMEOUT_MS);
      const onData = (chunk: Buffer): void => {
        this.output += chunk.toString();
        if (/Ready to accept connections/.test(this.output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(
          new Error(`redis-server exited (${signal ?? code}) before it was ready:\n${this.output}`),
        );
      });
    });
  }
}

function freePort(): Promise<number> {
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
