/**
 * A real NVIDIA Triton Inference Server for the interop tier: the `tritonserver` bundled in
 * nvidia-pytriton (Triton 2.51.0, CPU, Python backend), started by scripts/triton/start-triton.sh on
 * loopback ports, serving a Python-backend copy of the production repository in which every
 * `onnxruntime_onnx` model runs its original ONNX file on ONNX Runtime (see
 * scripts/triton/generate-python-backend-repository.py).
 *
 * Nothing it starts outlives the test run: the server runs detached in its own process group (Python
 * backend stubs included) and every stop kills the whole group, SIGKILL after a grace period; the
 * process gets SIGTERM when this process dies (setpriv --pdeathsig) and has a hard lifetime
 * (`timeout`); a synchronous exit hook SIGKILLs whatever is still running and deletes its files.
 * Each start gets a fresh temporary directory and shared-memory prefix, both deleted on stop, crash
 * or failed start.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { request, type IncomingHttpHeaders } from 'node:http';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MODEL_REPOSITORY, REPO_ROOT } from '../test-gateway';
import { missingPrerequisite } from '@test-support';

export const TRITON_VENV = process.env.TRITON_VENV ?? join(REPO_ROOT, '.venv-triton');
/** The .venv-triton interpreter: numpy 1.x, onnxruntime, tritonclient (scripts/requirements-triton.txt). */
export const TRITON_PYTHON = join(TRITON_VENV, 'bin/python');
const START_SCRIPT = join(REPO_ROOT, 'scripts/triton/start-triton.sh');
const INSTALL_HINT = 'install it with scripts/setup.sh --interop (creates .venv-triton)';
const SHM_DIR = '/dev/shm';

export interface TritonPorts {
  http: number;
  grpc: number;
  metrics: number;
}

export interface TritonServerOptions {
  /** Production model repository to serve (converted to the Python backend); default triton-models. */
  repository?: string;
  /** Fixed ports (no retry on a clash); default: free ports picked here, retried on a clash. */
  ports?: TritonPorts;
  /** ONNX Runtime intra-op threads per model instance (default 1: the test machines are small). */
  intraOpThreads?: number;
  /** Until the server and every model are ready (default 60 s). */
  readyTimeoutMs?: number;
  /** SIGTERM then, whatever the tests do (default 900 s). */
  maxLifetimeS?: number;
  /**
   * false: the served configs lose their dynamic_batching blocks, so Triton runs every request alone
   * (load-tests/batching compares Triton's batcher with the gateway's). Default: as config.pbtxt says.
   */
  dynamicBatching?: boolean;
  /**
   * explicit: Triton's --model-control-mode=explicit --load-model=*, so the repository API may load
   * and unload models (the files it serves are under `servedRepository`). Default none, as before.
   */
  modelControlMode?: 'none' | 'explicit';
  /**
   * true: Triton serves `repository` itself, not a Python-backend copy (ONNX models run on a
   * Python-based backend named onnxruntime), so what a control plane writes there is what Triton
   * loads. `dynamicBatching: false` and `intraOpThreads` do not apply. Default false.
   */
  inPlace?: boolean;
  /**
   * Triton's `--trace-config` settings, e.g. `mode=opentelemetry`,
   * `opentelemetry,url=http://127.0.0.1:4318/v1/traces`, `rate=1`, `level=TIMESTAMPS`. Default none.
   */
  traceConfig?: string[];
}

export interface RunningTriton {
  /** host:port of Triton's KServe v2 REST endpoint. */
  readonly httpAddress: string;
  /** host:port of Triton's KServe v2 gRPC endpoint. */
  readonly grpcAddress: string;
  /** Triton's Prometheus endpoint. */
  readonly metricsUrl: string;
  readonly ports: TritonPorts;
  /** Process (and process group) id of the current server; undefined while it is stopped. */
  readonly pid: number | undefined;
  /** Prefix of the current server's /dev/shm files (Python backend); undefined while it is stopped. */
  readonly shmPrefix: string | undefined;
  /**
   * The repository Triton serves now (the Python-backend copy of `repository`, or `repository`
   * itself with `inPlace`): a test adds a version folder there (and, for the copy, its ONNX file in
   * `repository`) before asking for a load.
   */
  readonly servedRepository: string | undefined;
  /** The server's log so far (or that of the last run, once stopped). */
  log(): string;
  /** SIGTERM to the process group, SIGKILL after a grace period; idempotent. */
  stop(): Promise<void>;
  /** SIGKILL to the process group at once (a crash, for failure tests); idempotent. */
  kill(): Promise<void>;
  /** Stops the server if running and starts it again on the same ports; resolves once ready. */
  restart(): Promise<void>;
}

/** Why a real Triton cannot run here, with how to install it; undefined when it can. */
export function tritonPrerequisites(): string | undefined {
  const probe = spawnSync(
    TRITON_PYTHON,
    [
      '-c',
      'import sysconfig, numpy, onnxruntime, tritonclient.grpc, tritonclient.http; ' +
        'print(sysconfig.get_paths()["purelib"])',
    ],
    { encoding: 'utf8' },
  );
  if (probe.error !== undefined || probe.status !== 0) {
    const why = probe.error?.message ?? probe.stderr.trim().split('\n').pop() ?? '';
    return `real Triton unavailable: ${TRITON_PYTHON} cannot import numpy, onnxruntime and tritonclient (${why}); ${INSTALL_HINT}.`;
  }
  const binary = join(probe.stdout.trim(), 'pytriton/tritonserver/bin/tritonserver');
  if (!existsSync(binary)) {
    return `real Triton unavailable: ${binary} missing (nvidia-pytriton not installed); ${INSTALL_HINT}.`;
  }
  for (const command of ['setpriv', 'timeout']) {
    if (spawnSync(command, ['--version']).error !== undefined) {
      return `real Triton unavailable: '${command}' not found (util-linux / coreutils).`;
    }
  }
  return undefined;
}

/**
 * Inside a describe(): when Triton cannot run here, registers a test that fails (CI=true: nothing may
 * be skipped there) or a skipped one with a warning, and returns true so the caller registers nothing
 * else.
 */
export function withoutTriton(what: string): boolean {
  return missingPrerequisite(`a real Triton server (${what})`, tritonPrerequisites());
}

/** Starts a real Triton on free loopback ports; resolves once the server and its models are ready. */
export async function startTritonServer(options: TritonServerOptions = {}): Promise<RunningTriton> {
  const server = new TritonServer(options);
  await server.start();
  return server;
}

class StartFailure extends Error {
  constructor(
    message: string,
    readonly portClash: boolean,
  ) {
    super(message);
  }
}

interface Launch {
  child: ChildProcess;
  pid: number;
  exited: Promise<void>;
  exitStatus: () => string | undefined;
  workDir: string;
  logPath: string;
  shmPrefix: string;
}

const running = new Set<Launch>();
let exitHookInstalled = false;

/** Last resort when a test run ends without stop(): synchronous, so it runs on process exit. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const launch of running) {
      signalGroup(launch.pid, 'SIGKILL');
      removeShm(launch.shmPrefix);
      rmSync(launch.workDir, { recursive: true, force: true });
    }
  });
}

class TritonServer implements RunningTriton {
  private readonly repository: string;
  private readonly readyTimeoutMs: number;
  private current: Launch | undefined;
  private lastLog = '';
  private chosenPorts: TritonPorts | undefined;
  /** Serialises stop/kill/restart so that concurrent calls never race on one process. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: TritonServerOptions) {
    this.repository = options.repository ?? MODEL_REPOSITORY;
    this.readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
    this.chosenPorts = options.ports;
    installExitHook();
  }

  get ports(): TritonPorts {
    if (this.chosenPorts === undefined) throw new Error('Triton has not been started');
    return this.chosenPorts;
  }
  get httpAddress(): string {
    return `127.0.0.1:${this.ports.http}`;
  }
  get grpcAddress(): string {
    return `127.0.0.1:${this.ports.grpc}`;
  }
  get metricsUrl(): string {
    return `http://127.0.0.1:${this.ports.metrics}/metrics`;
  }
  get pid(): number | undefined {
    return this.current?.pid;
  }
  get shmPrefix(): string | undefined {
    return this.current?.shmPrefix;
  }
  get servedRepository(): string | undefined {
    if (this.current === undefined) return undefined;
    return this.options.inPlace === true
      ? this.repository
      : join(this.current.workDir, 'server', 'repository');
  }

  log(): string {
    return this.current === undefined ? this.lastLog : readLog(this.current.logPath);
  }

  /** First start: on a port clash (another process took a port between pick and bind), new ports. */
  async start(): Promise<void> {
    const attempts = this.options.ports === undefined ? 3 : 1;
    for (let attempt = 1; ; attempt += 1) {
      this.chosenPorts = this.options.ports ?? (await freePorts());
      try {
        await this.launch(this.chosenPorts);
        return;
      } catch (error) {
        if (!(error instanceof StartFailure && error.portClash) || attempt >= attempts) throw error;
      }
    }
  }

  stop(): Promise<void> {
    return this.serialised(() => this.terminate('SIGTERM'));
  }

  kill(): Promise<void> {
    return this.serialised(() => this.terminate('SIGKILL'));
  }

  restart(): Promise<void> {
    return this.serialised(async () => {
      await this.terminate('SIGTERM');
      // The same ports: the gateway under test must find Triton back at the same address.
      await this.launch(this.ports);
    });
  }

  private serialised(task: () => Promise<void>): Promise<void> {
    const next = this.queue.then(task, task);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async launch(ports: TritonPorts): Promise<void> {
    const workDir = await mkdtemp(join(tmpdir(), 'triton-interop-'));
    const logPath = join(workDir, 'server.log');
    const shmPrefix = `${basename(workDir)}-`;
    const logFd = openSync(logPath, 'a');
    const args = [
      START_SCRIPT,
      `--http-port=${ports.http}`,
      `--grpc-port=${ports.grpc}`,
      `--metrics-port=${ports.metrics}`,
      `--work-dir=${join(workDir, 'server')}`,
      `--shm-prefix=${shmPrefix}`,
      `--intra-op-threads=${this.options.intraOpThreads ?? 1}`,
      `--max-lifetime=${this.options.maxLifetimeS ?? 900}`,
      ...(this.options.dynamicBatching === false ? ['--no-dynamic-batching'] : []),
      ...(this.options.modelControlMode === 'explicit' ? ['--model-control-mode=explicit'] : []),
      ...(this.options.inPlace === true ? ['--in-place'] : []),
      ...(this.options.traceConfig ?? []).map((setting) => `--trace-config=${setting}`),
      this.repository,
    ];
    let child: ChildProcess;
    try {
      // detached: its own session and process group, so one kill reaches the stubs too.
      child = spawn('bash', args, {
        detached: true,
        stdio: ['ignore', logFd, logFd],
        env: { ...process.env, TRITON_VENV },
      });
    } finally {
      closeSync(logFd);
    }
    let status: string | undefined;
    const exited = new Promise<void>((resolvePromise) => {
      child.once('exit', (code, signal) => {
        status = signal !== null ? `killed by ${signal}` : `exited with status ${code}`;
        resolvePromise();
      });
      child.once('error', (error) => {
        status = `could not start: ${error.message}`;
        resolvePromise();
      });
    });
    child.unref();
    if (child.pid === undefined) {
      await exited;
      rmSync(workDir, { recursive: true, force: true });
      throw new StartFailure(`Triton ${status ?? 'did not start'}`, false);
    }
    const pid = child.pid;
    this.current = { child, pid, exited, exitStatus: () => status, workDir, logPath, shmPrefix };
    running.add(this.current);
    try {
      await this.waitUntilReady(this.current, ports);
    } catch (error) {
      const log = readLog(logPath);
      await this.terminate('SIGKILL');
      const clash = /already in use/.test(log);
      const reason = error instanceof Error ? error.message : String(error);
      throw new StartFailure(
        `Triton did not become ready on 127.0.0.1 ports http ${ports.http}, grpc ${ports.grpc}, ` +
          `metrics ${ports.metrics}: ${reason}${clash ? ' (port already in use)' : ''}\n` +
          `--- Triton log (tables left out) ---\n${logExcerpt(log)}`,
        clash,
      );
    }
  }

  /**
   * Ready = the process still runs, it started its last service on OUR metrics port (a port clash is
   * logged after "Started HTTPService", and another server may answer on a clashing port), the
   * server reports ready and every model in its repository index is READY.
   */
  private async waitUntilReady(launch: Launch, ports: TritonPorts): Promise<void> {
    const deadline = Date.now() + this.readyTimeoutMs;
    const started = `Started Metrics Service at 127.0.0.1:${ports.metrics}`;
    const base = `http://127.0.0.1:${ports.http}`;
    let lastProblem = 'not started yet';
    for (;;) {
      const status = launch.exitStatus();
      if (status !== undefined) throw new Error(`the server ${status}`);
      if (Date.now() > deadline) {
        throw new Error(`not ready after ${this.readyTimeoutMs} ms (${lastProblem})`);
      }
      if (readLog(launch.logPath).includes(started)) {
        try {
          const ready = await tritonHttp(`${base}/v2/health/ready`);
          if (ready.status === 200) {
            const index = await tritonHttp(`${base}/v2/repository/index`, { method: 'POST' });
            const models = JSON.parse(index.body.toString()) as { name: string; state?: string }[];
            const waiting = models.filter((model) => model.state !== 'READY');
            if (index.status === 200 && models.length > 0 && waiting.length === 0) return;
            lastProblem = `models not ready: ${JSON.stringify(waiting)}`;
          } else {
            lastProblem = `/v2/health/ready answered ${ready.status}`;
          }
        } catch (error) {
          lastProblem = error instanceof Error ? error.message : String(error);
        }
      }
      await settlesWithin(launch.exited, 100);
    }
  }

  /** Signals the group, escalates to SIGKILL, waits until no member is left, then cleans up. */
  private async terminate(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    const launch = this.current;
    if (launch === undefined) return;
    signalGroup(launch.pid, signal);
    // Triton takes about 4.5 s to exit on SIGTERM here; one that does not is killed.
    if (!(await settlesWithin(launch.exited, signal === 'SIGTERM' ? 10_000 : 0))) {
      signalGroup(launch.pid, 'SIGKILL');
      await launch.exited;
    }
    // The leader is gone; stubs it forked may still be exiting. Kill stragglers, wait for them.
    for (let waited = 0; groupMembers(launch.pid).length > 0; waited += 50) {
      if (waited === 2000) signalGroup(launch.pid, 'SIGKILL');
      if (waited > 10_000) {
        throw new Error(
          `Triton process group ${launch.pid} still has members ${groupMembers(launch.pid).join(', ')}`,
        );
      }
      await sleep(50);
    }
    running.delete(launch);
    this.lastLog = readLog(launch.logPath);
    this.current = undefined;
    removeShm(launch.shmPrefix);
    rmSync(launch.workDir, { recursive: true, force: true });
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Live (non-zombie) processes of a process group, from /proc: Triton runs on Linux only. */
export function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
    } catch {
      continue; // exited meanwhile
    }
    // pid (comm) state ppid pgrp ...: comm may contain spaces and parentheses, so split after the last ')'.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') members.push(Number(entry));
  }
  return members;
}

/** Files of the Python backend's shared-memory regions with this prefix. */
export function shmFiles(prefix: string): string[] {
  try {
    return readdirSync(SHM_DIR).filter((name) => name.startsWith(prefix));
  } catch {
    return [];
  }
}

function removeShm(prefix: string): void {
  for (const name of shmFiles(prefix)) rmSync(join(SHM_DIR, name), { force: true });
}

/** Three distinct free loopback ports: all bound at once (port 0), then released. */
export async function freePorts(): Promise<TritonPorts> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolvePromise, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolvePromise);
      });
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no port bound');
      ports.push(address.port);
    }
    return { http: ports[0], grpc: ports[1], metrics: ports[2] };
  } finally {
    await Promise.all(
      servers.map(
        (server) => new Promise<void>((resolvePromise) => server.close(() => resolvePromise())),
      ),
    );
  }
}

export interface TritonHttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface TritonHttpRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  timeoutMs?: number;
}

/**
 * One HTTP request on its own connection, closed afterwards. Triton's graceful shutdown waits (up to
 * its exit timeout) for open HTTP connections, which fetch's keep-alive pool would hold.
 */
export function tritonHttp(
  url: string,
  { method = 'GET', headers = {}, body, timeoutMs = 10_000 }: TritonHttpRequest = {},
): Promise<TritonHttpResponse> {
  return new Promise((resolvePromise, reject) => {
    const req = request(
      url,
      { method, agent: false, headers: { ...headers, connection: 'close' }, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () =>
          resolvePromise({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`${method} ${url}: no answer within ${timeoutMs} ms`)),
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** True when nothing listens on the port and it can be bound on 127.0.0.1. */
export async function portIsFree(port: number): Promise<boolean> {
  const server = createServer();
  try {
    await new Promise<void>((resolvePromise, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolvePromise);
    });
    return true;
  } catch {
    return false;
  } finally {
    await new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
  }
}

function readLog(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** The log without Triton's start-up tables, last lines only. */
function logExcerpt(log: string, lines = 40): string {
  return log
    .split('\n')
    .filter((line) => !/^\s*[|+]/.test(line))
    .slice(-lines)
    .join('\n');
}

/** True when `promise` settles within `ms`; the timer never outlives the wait. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise.then(() => true),
      new Promise<boolean>((resolvePromise) => {
        timer = setTimeout(() => resolvePromise(false), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
