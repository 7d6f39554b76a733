/**
 * A real Prometheus server for tests (Debian's `prometheus`, installed by scripts/setup.sh --test):
 * on loopback and a free port, its TSDB in a throwaway directory, scraping the given targets every
 * second. Stopped with SIGTERM (SIGKILL after a while); an exit hook kills one a test left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { missingPrerequisite } from '@test-support';
import { freePort } from './mlflow-server';
import { createTemporaryDirectory, removeDirectory } from './temporary-directory';

export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

export function prometheusPrerequisite(): string | undefined {
  if (existsSync(PROMETHEUS_BIN)) return undefined;
  return `${PROMETHEUS_BIN} not found: run scripts/setup.sh --test (apt-get install prometheus), or set PROMETHEUS_BIN.`;
}

/** Inside a describe(): fails under CI=true, else skips with a warning, when Prometheus is missing. */
export function withoutPrometheus(what: string): boolean {
  return missingPrerequisite(`a real Prometheus server (${what})`, prometheusPrerequisite());
}

export interface PrometheusServerOptions {
  /** host:port of each /metrics endpoint to scrape (every second). */
  targets: string[];
}

/** A running Prometheus: its base URL (HTTP API under /api/v1) and how to stop it. */
export class PrometheusServer {
  private constructor(
    readonly url: string,
    private readonly stopServer: () => Promise<void>,
  ) {}

  /** Starts Prometheus scraping the targets every second; resolves once it is ready. */
  static async start(options: PrometheusServerOptions): Promise<PrometheusServer> {
    const { url, stop } = await startPrometheus(options.targets);
    return new PrometheusServer(url, stop);
  }

  /** SIGTERM, SIGKILL after 10 s; its storage is removed. */
  stop(): Promise<void> {
    return this.stopServer();
  }
}

interface Started {
  url: string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

async function startPrometheus(targets: string[]): Promise<Started> {
  const prerequisite = prometheusPrerequisite();
  if (prerequisite !== undefined) throw new Error(prerequisite);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => running.forEach((child) => child.kill('SIGKILL')));
  }
  const dir = await createTemporaryDirectory('prometheus');
  const configFile = path.join(dir, 'prometheus.yml');
  await writeFile(configFile, scrapeConfig(targets));
  // freePort's port may be taken before Prometheus binds it: a start that fails is tried again.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(dir, configFile, await freePort());
    } catch (error) {
      lastError = error;
    }
  }
  await removeDirectory(dir);
  throw lastError;
}

function scrapeConfig(targets: string[]): string {
  const list = targets.map((target) => `'${target}'`).join(', ');
  return [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    '  - job_name: targets',
    '    static_configs:',
    `      - targets: [${list}]`,
    '',
  ].join('\n');
}

async function startOnce(dir: string, configFile: string, port: number): Promise<Started> {
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH } },
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
  const stopChild = async (): Promise<void> => {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`prometheus exited during start-up; its output:\n${output}`);
    }
    if (await ready(url)) {
      return {
        url,
        stop: async () => {
          await stopChild();
          await removeDirectory(dir);
        },
      };
    }
    if (Date.now() > deadline) {
      await stopChild();
      throw new Error(`prometheus not ready within ${START_TIMEOUT_MS / 1000} s:\n${output}`);
    }
    await sleep(100);
  }
}

async function ready(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}
