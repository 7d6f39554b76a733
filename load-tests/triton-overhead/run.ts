/**
 * `npm run bench:triton-overhead`: NVIDIA perf_analyzer against a real Triton 2.51 directly, against
 * the gateway in front of that same Triton (TRITON_GRPC_URLS), and against Envoy and nginx as plain
 * pass-through proxies in front of it, over KServe v2 HTTP and gRPC, at several concurrencies, in one
 * run. See load-tests/triton-overhead/README.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
import {
  buildGateway,
  startGatewayProcess,
  type GatewayProcess,
} from '../detect-overhead/gateway-process';
import { loadImages } from '../detect-overhead/images';
import { measureDetect } from './detect-phase';
import { plotResults, renderMarkdown } from './report';
import { parseAnalyzerCsv, runAnalyzer, runningAnalyzer, setUpPerfAnalyzer } from './analyzer';
import { PROXY_NAMES, startProxy, type RunningProxy } from './proxies';
import { tritonInferenceCount } from './triton-count';
import {
  CELL_TARGETS,
  type Cell,
  type CellTarget,
  splitTarget,
  type Front,
  type TritonOverheadResults,
} from './types';

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
  watchdogSeconds: Number(process.env.BENCH_WATCHDOG_S ?? 1800),
  /** Closed-loop window of each detect cell (gateway on Triton vs embedded). */
  detectWindowMs: Number(process.env.BENCH_DETECT_WINDOW_MS ?? 8000),
};

/**
 * perf_analyzer counts a refused request as a failed run: at concurrency 64 on two shared cores the
 * gateway's admission would start shedding (queue wait over its default 15 s target) — by design,
 * but not what this benchmark measures. A longer target keeps every request admitted.
 */
const BENCH_GATEWAY_ENV = { GATEWAY_ADMISSION_QUEUE_TARGET_MS: '120000' };

const started: {
  triton?: RunningTriton;
  gateway?: GatewayProcess;
  embedded?: GatewayProcess;
  proxies: RunningProxy[];
} = { proxies: [] };

function killAll(): void {
  runningAnalyzer.child?.kill('SIGKILL');
  for (const gateway of [started.gateway, started.embedded]) {
    if (gateway) process.kill(gateway.pid, 'SIGKILL');
  }
  for (const proxy of started.proxies) {
    try {
      process.kill(-proxy.pgid, 'SIGKILL');
    } catch {
      // gone already
    }
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

  const analyzer = setUpPerfAnalyzer();
  // perf_analyzer prints its version on stderr.
  const versionRun = spawnSync(analyzer, ['--version'], { encoding: 'utf8' });
  const analyzerVersion = `${versionRun.stdout}${versionRun.stderr}`.trim();

  console.log('building the gateway …');
  buildGateway();
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
    const gateway = await startGatewayProcess(
      1,
      { TRITON_GRPC_URLS: triton.grpcAddress, ...BENCH_GATEWAY_ENV },
      { compiled: true },
    );
    started.gateway = gateway;
    const upstreams = { http: triton.httpAddress, grpc: triton.grpcAddress };
    for (const name of PROXY_NAMES) started.proxies.push(await startProxy(name, upstreams, tmp));
    const proxyVersions = Object.fromEntries(
      started.proxies.map((running) => [running.name, running.version]),
    );
    const proxy = (name: Front): RunningProxy | undefined =>
      started.proxies.find((running) => running.name === name);
    const addresses: Partial<Record<CellTarget, string>> = {
      'direct-http': triton.httpAddress,
      'direct-grpc': triton.grpcAddress,
      'gateway-http': gateway.httpUrl.replace(/^https?:\/\//, '').replace(/\/$/, ''),
      'gateway-grpc': gateway.grpcAddress,
    };
    for (const running of started.proxies) {
      if (running.httpAddress) addresses[`${running.name}-http`] = running.httpAddress;
      addresses[`${running.name}-grpc`] = running.grpcAddress;
    }
    /** The processes whose CPU is the front's: none for direct. */
    const frontPids = (front: Front): number[] =>
      front === 'direct'
        ? []
        : front === 'gateway'
          ? [gateway.pid]
          : (proxy(front)?.members() ?? []);

    const cells: Cell[] = [];
    for (const [index, concurrency] of settings.concurrencies.entries()) {
      // Rotate the order per concurrency, so slow drift of the shared machine spreads over targets.
      const order = CELL_TARGETS.map((_, i) => CELL_TARGETS[(i + index) % CELL_TARGETS.length]);
      for (const target of order) {
        const [front, protocol] = splitTarget(target);
        const csv = join(tmp, `${target}-${concurrency}.csv`);
        const pids = frontPids(front);
        const peakReset = front === 'gateway' && resetPeakRss(gateway.pid);
        const cpuBefore = sumCpu(pids);
        const tritonBefore = tritonCpuSeconds(triton);
        const servedBefore = await tritonInferenceCount(triton.metricsUrl);
        const startedAt = performance.now();
        const outcome = await runAnalyzer(analyzer, {
          model: MODEL,
          address: addresses[target] ?? '',
          protocol,
          concurrency,
          windowMs: settings.measurementIntervalMs,
          windows: settings.windows,
          csv,
        });
        const wallS = (performance.now() - startedAt) / 1000;
        const cpu = sumCpu(pids) - cpuBefore;
        const tritonCpu = tritonCpuSeconds(triton) - tritonBefore;
        const served = (await tritonInferenceCount(triton.metricsUrl)) - servedBefore;
        let parsed: ReturnType<typeof parseAnalyzerCsv> | undefined;
        let parseError: string | undefined;
        try {
          parsed = outcome.code === 0 ? parseAnalyzerCsv(csv) : undefined;
        } catch (error) {
          parseError = error instanceof Error ? error.message : String(error);
        }
        const perInference = (seconds: number): number | undefined =>
          served > 0 ? round((seconds * 1000) / served, 2) : undefined;
        const cell: Cell = {
          target,
          front,
          protocol,
          concurrency,
          ok: parsed !== undefined,
          ...(parsed ?? {}),
          analyzerWallS: round(wallS, 1),
          inferencesServed: served,
          frontCpuS: round(cpu, 2),
          frontCpuMsPerInfer: front === 'direct' ? undefined : perInference(cpu),
          tritonCpuS: round(tritonCpu, 2),
          tritonCpuMsPerInfer: perInference(tritonCpu),
          ...(front === 'gateway' && {
            gatewayPeakRssMiB: round(memory(gateway.pid).peakRssMiB, 1),
            peakRssReset: peakReset,
          }),
          error: outcome.code === 0 ? parseError : outcome.tail,
        };
        cells.push(cell);
        console.log(
          `${target} c=${concurrency}: ` +
            (parsed
              ? `${parsed.throughput} infer/s p50 ${parsed.p50Ms} p99 ${parsed.p99Ms} ms, ` +
                `front CPU ${cell.frontCpuMsPerInfer ?? '–'} ms/infer`
              : `FAILED (${outcome.code}) ${outcome.tail}`),
        );
      }
    }
    for (const running of started.proxies) await running.stop();
    started.proxies = [];

    console.log('detect through the gateway: Triton vs embedded …');
    const embedded = await startGatewayProcess(settings.tritonIntraOpThreads, BENCH_GATEWAY_ENV, {
      compiled: true,
    });
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
        ...proxyVersions,
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
    plotResults(results, join(RESULTS_DIR, 'triton-overhead.png'));
    console.log('wrote load-tests/results/triton-overhead.{json,md,png}');
    await gateway.stop();
    started.gateway = undefined;
    if (cells.some((cell) => !cell.ok)) process.exitCode = 1;
  } finally {
    for (const running of started.proxies) await running.stop();
    await started.gateway?.stop();
    await started.embedded?.stop();
    await triton.stop();
    rmSync(tmp, { recursive: true, force: true });
    clearTimeout(watchdog);
  }
}

/** CPU seconds of Triton's process group (server and Python-backend stubs) still alive. */
function tritonCpuSeconds(triton: RunningTriton): number {
  return triton.pid === undefined ? Number.NaN : sumCpu(groupMembers(triton.pid));
}

function sumCpu(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      total += cpuSeconds(pid);
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  killAll();
  process.exit(1);
});
