/**
 * `npm run bench:triton-overhead`: NVIDIA perf_analyzer against a real Triton 2.51 directly and
 * against the gateway in front of that same Triton (TRITON_GRPC_URLS), over KServe v2 HTTP and gRPC,
 * at several concurrencies, in one run. See load-tests/triton-overhead/README.md.
 */
import { BENCH_API_KEY } from '../lib/bench-credentials';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { machineInfo } from '../lib/machine-info';
import { cpuSeconds, memory, resetPeakRss } from '@test-support';
import { round } from '../lib/latency-stats';
import {
  groupMembers,
  startTritonServer,
  tritonPrerequisites,
  type RunningTriton,
} from '../../gateway/test/interop/triton-server';
import { startGatewayProcess, type GatewayProcess } from '../detect-overhead/gateway-process';
import { loadImages } from '../detect-overhead/images';
import { measureDetect } from './detect-phase';
import { renderMarkdown } from './report';
import { CELL_TARGETS, type Cell, type CellTarget, type TritonOverheadResults } from './types';

const REPO_ROOT = resolve(__dirname, '../..');
const RESULTS_DIR = resolve(REPO_ROOT, 'load-tests/results');
const MODEL = 'nanodet';

function numberList(value: string | undefined, fallback: number[]): number[] {
  if (value === undefined || value.trim() === '') return fallback;
  const list = value.split(',').map((item) => Number(item.trim()));
  if (list.some((item) => !Number.isInteger(item) || item <= 0)) {
    throw new Error(`not a list of positive integers: ${value}`);
  }
  return list;
}

const settings = {
  concurrencies: numberList(process.env.BENCH_CONCURRENCIES, [1, 4, 16, 64]),
  /** One perf_analyzer measurement window; each cell is exactly `windows` of them. */
  measurementIntervalMs: Number(process.env.BENCH_WINDOW_MS ?? 3000),
  windows: 3,
  inputData: 'random' as const,
  tritonIntraOpThreads: 1,
  /** Whole-run limit: past it everything started here is killed and the run exits non-zero. */
  watchdogSeconds: Number(process.env.BENCH_WATCHDOG_S ?? 1200),
  /** Closed-loop window of each detect cell (gateway on Triton vs embedded). */
  detectWindowMs: Number(process.env.BENCH_DETECT_WINDOW_MS ?? 8000),
};

const started: {
  triton?: RunningTriton;
  gateway?: GatewayProcess;
  embedded?: GatewayProcess;
  analyzer?: ChildProcess;
} = {};

function killAll(): void {
  started.analyzer?.kill('SIGKILL');
  for (const gateway of [started.gateway, started.embedded]) {
    if (gateway) process.kill(gateway.pid, 'SIGKILL');
  }
  void started.triton?.kill();
}

async function main(): Promise<void> {
  const machine = machineInfo();
  const missing = tritonPrerequisites();
  if (missing !== undefined) throw new Error(missing);
  const watchdog = setTimeout(() => {
    console.error(`watchdog: run exceeded ${settings.watchdogSeconds} s, killing everything`);
    killAll();
    process.exit(2);
  }, settings.watchdogSeconds * 1000);
  watchdog.unref();

  const analyzer = execFileSync('bash', [join(__dirname, 'setup-perf.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  // perf_analyzer prints its version on stderr.
  const versionRun = spawnSync(analyzer, ['--version'], { encoding: 'utf8' });
  const analyzerVersion = `${versionRun.stdout}${versionRun.stderr}`.trim();

  console.log('starting Triton …');
  const triton = await startTritonServer({
    intraOpThreads: settings.tritonIntraOpThreads,
    maxLifetimeS: settings.watchdogSeconds + 60,
    readyTimeoutMs: 120_000,
  });
  started.triton = triton;
  const tmp = mkdtempSync(join(tmpdir(), 'triton-overhead-'));
  try {
    console.log(`Triton http ${triton.httpAddress} grpc ${triton.grpcAddress}; starting gateway …`);
    // In front of Triton the ONNX Runtime thread count is unused.
    const gateway = await startGatewayProcess(1, { TRITON_GRPC_URLS: triton.grpcAddress });
    started.gateway = gateway;
    const httpAddress = gateway.httpUrl.replace(/^https?:\/\//, '').replace(/\/$/, '');
    const addresses: Record<CellTarget, string> = {
      'direct-http': triton.httpAddress,
      'direct-grpc': triton.grpcAddress,
      'gateway-http': httpAddress,
      'gateway-grpc': gateway.grpcAddress,
    };

    const cells: Cell[] = [];
    for (const [index, concurrency] of settings.concurrencies.entries()) {
      // Rotate the order per concurrency, so slow drift of the shared machine spreads over targets.
      const order = CELL_TARGETS.map((_, i) => CELL_TARGETS[(i + index) % CELL_TARGETS.length]);
      for (const target of order) {
        const [, protocol] = target.split('-') as [string, 'http' | 'grpc'];
        const csv = join(tmp, `${target}-${concurrency}.csv`);
        const pid = gateway.pid;
        const peakReset = resetPeakRss(pid);
        const cpuBefore = cpuSeconds(pid);
        const tritonBefore = tritonCpuSeconds(triton);
        const startedAt = performance.now();
        const outcome = await runAnalyzer(analyzer, [
          '-m',
          MODEL,
          '-u',
          addresses[target],
          '-i',
          protocol,
          '-b',
          '1',
          '--input-data',
          settings.inputData,
          '--concurrency-range',
          `${concurrency}:${concurrency}`,
          '--measurement-mode',
          'time_windows',
          '--measurement-interval',
          String(settings.measurementIntervalMs),
          // Fixed length: the first `windows` windows always count as stable.
          '--stability-percentage',
          '999',
          '--max-trials',
          String(settings.windows),
          '--percentile',
          '99',
          '-f',
          csv,
          // The gateway needs a credential; Triton ignores the header. perf_analyzer 2.51 sends -H
          // headers as gRPC metadata too (its --help says HTTP only; checked against the gateway).
          '-H',
          `x-api-key:${BENCH_API_KEY}`,
        ]);
        const wallS = (performance.now() - startedAt) / 1000;
        const cpu = cpuSeconds(pid) - cpuBefore;
        const tritonCpu = tritonCpuSeconds(triton) - tritonBefore;
        const mem = memory(pid);
        let parsed: ReturnType<typeof parseCsv> | undefined;
        let parseError: string | undefined;
        try {
          parsed = outcome.code === 0 ? parseCsv(csv) : undefined;
        } catch (error) {
          parseError = error instanceof Error ? error.message : String(error);
        }
        const cell: Cell = {
          target,
          protocol,
          concurrency,
          ok: parsed !== undefined,
          ...(parsed ?? {}),
          analyzerWallS: round(wallS, 1),
          gatewayCpuS: round(cpu, 2),
          gatewayCpuMsPerInfer:
            parsed && target.startsWith('gateway')
              ? round((cpu * 1000) / (parsed.throughput * wallS), 2)
              : undefined,
          tritonCpuS: round(tritonCpu, 2),
          tritonCpuMsPerInfer: parsed
            ? round((tritonCpu * 1000) / (parsed.throughput * wallS), 2)
            : undefined,
          gatewayPeakRssMiB: round(mem.peakRssMiB, 1),
          peakRssReset: peakReset,
          error: outcome.code === 0 ? parseError : outcome.tail,
        };
        cells.push(cell);
        console.log(
          `${target} c=${concurrency}: ` +
            (parsed
              ? `${parsed.throughput} infer/s p50 ${parsed.p50Ms} p99 ${parsed.p99Ms} ms`
              : `FAILED (${outcome.code}) ${outcome.tail}`),
        );
      }
    }

    console.log('detect through the gateway: Triton vs embedded …');
    const embedded = await startGatewayProcess(settings.tritonIntraOpThreads);
    started.embedded = embedded;
    const detect = await measureDetect(
      [
        { backend: 'triton', ...gateway },
        { backend: 'embedded', ...embedded },
      ],
      loadImages(),
      settings.concurrencies.filter((concurrency) => concurrency <= 16),
      settings.detectWindowMs,
    );
    await embedded.stop();
    started.embedded = undefined;

    const results: TritonOverheadResults = {
      benchmark: 'triton-overhead',
      machine,
      loadAverageAtEnd: loadavg().map((value) => round(value, 2)),
      versions: {
        perfAnalyzer: analyzerVersion,
        triton: '2.51.0 (nvidia-pytriton, CPU, Python backend running the ONNX model)',
        node: process.version,
      },
      settings: { ...settings, model: MODEL, batchSize: 1, input: 'images FP32 [3,416,416]' },
      addresses,
      cells,
      detect,
    };
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(
      join(RESULTS_DIR, 'triton-overhead.json'),
      `${JSON.stringify(results, null, 2)}\n`,
    );
    writeFileSync(join(RESULTS_DIR, 'triton-overhead.md'), renderMarkdown(results));
    console.log('wrote load-tests/results/triton-overhead.{json,md}');
    await gateway.stop();
    started.gateway = undefined;
    if (cells.some((cell) => !cell.ok)) process.exitCode = 1;
  } finally {
    await started.gateway?.stop();
    await started.embedded?.stop();
    await triton.stop();
    rmSync(tmp, { recursive: true, force: true });
    clearTimeout(watchdog);
  }
}

/** CPU seconds of Triton's process group (server and Python-backend stubs) still alive. */
function tritonCpuSeconds(triton: RunningTriton): number {
  if (triton.pid === undefined) return Number.NaN;
  let total = 0;
  for (const member of groupMembers(triton.pid)) {
    try {
      total += cpuSeconds(member);
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

function runAnalyzer(binary: string, args: string[]): Promise<{ code: number; tail: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    started.analyzer = child;
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('close', (code) => {
      started.analyzer = undefined;
      resolvePromise({ code: code ?? 1, tail: output.trim().split('\n').slice(-6).join(' | ') });
    });
  });
}

/** perf_analyzer's -f CSV: a header line and one line per concurrency; latencies in µs. */
function parseCsv(path: string): {
  throughput: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  avgMs: number | undefined;
} {
  const [header, row] = readFileSync(path, 'utf8').trim().split('\n');
  const names = header.split(',');
  const values = row.split(',').map(Number);
  const get = (name: string): number => {
    const at = names.indexOf(name);
    if (at < 0) throw new Error(`perf_analyzer CSV has no column '${name}': ${header}`);
    return values[at];
  };
  const ms = (name: string): number => round(get(name) / 1000, 2);
  // The client/server breakdown columns sum to the mean latency; the gateway serves no model
  // statistics, so its CSV has the client columns only and no mean.
  const parts = [
    'Client Send',
    'Network+Server Send/Recv',
    'Server Queue',
    'Server Compute Input',
    'Server Compute Infer',
    'Server Compute Output',
    'Client Recv',
  ];
  const avgUs = parts.every((name) => names.includes(name))
    ? parts.reduce((sum, name) => sum + get(name), 0)
    : undefined;
  return {
    throughput: round(get('Inferences/Second'), 2),
    p50Ms: ms('p50 latency'),
    p90Ms: ms('p90 latency'),
    p99Ms: ms('p99 latency'),
    avgMs: avgUs === undefined ? undefined : round(avgUs / 1000, 2),
  };
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  killAll();
  process.exit(1);
});
