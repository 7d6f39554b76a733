/**
 * `npm run bench:batching`: throughput and p50/p99 of NanoDet-m over KServe gRPC at several
 * closed-loop concurrencies, without batching, with fixed batching settings and with adaptive
 * batching on the embedded backend; and, in the interop tier, gateway batching vs Triton's own
 * dynamic batcher vs both. Writes load-tests/results/batching.{json,md,png}. See ./README.md.
 */
import 'reflect-metadata';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import {
  startTritonServer,
  tritonHttp,
  tritonPrerequisites,
  type RunningTriton,
} from '../../gateway/test/interop/triton-server';
import { round } from '../lib/latency-stats';
import { machineInfo } from '../lib/machine-info';
import { startGatewayProcess, type GatewayProcess } from '../detect-overhead/gateway-process';
import { loadImages } from '../detect-overhead/images';
import { answersOf, compareAnswers, type Agreement } from './agreement';
import {
  commonGatewayEnv,
  EMBEDDED_CONFIGURATIONS,
  INTEROP_CONFIGURATIONS,
  type Configuration,
} from './configurations';
import { writeFigure } from './figure';
import { createInferClient } from './infer-client';
import { measureCell, type Target } from './measure';
import { measureModelScaling } from './model-scaling';
import { renderMarkdown } from './report';
import {
  loadSettings,
  MODEL,
  P99_OBJECTIVE_MS,
  RESULTS_DIR,
  type BatchingBenchSettings,
} from './settings';
import { checkTargets } from './targets';
import { buildPayloads, type InferPayload } from './tensors';
import type { BatchingResults, Cell } from './types';

const log = (message: string): void => {
  process.stderr.write(`[batching] ${message}\n`);
};

/** Everything started here, so any way out (watchdog, signal, error) kills it. */
const started = { gateways: new Set<GatewayProcess>(), tritons: new Set<RunningTriton>() };

function killAll(): void {
  for (const gateway of started.gateways) {
    try {
      process.kill(gateway.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  // Triton's harness also SIGKILLs its process groups in a synchronous exit hook.
  for (const triton of started.tritons) void triton.kill();
}

interface TierOutcome {
  cells: Cell[];
  agreement: Agreement[];
  schedule: BatchingResults['schedule'];
}

/**
 * One tier: a gateway per configuration, all started first and kept running, so that at each
 * concurrency the configurations run back to back in a rotated order (drift of a shared machine
 * spreads over all of them instead of favouring one). Concurrencies ascend: adaptive mode carries
 * its tuning from one to the next, as it would while load grows.
 */
async function runTier(
  configurations: readonly Configuration[],
  start: (configuration: Configuration) => Promise<Omit<Target, 'client'>>,
  payloads: readonly InferPayload[],
  settings: BatchingBenchSettings,
): Promise<TierOutcome> {
  const targets: Target[] = [];
  try {
    for (const configuration of configurations) {
      log(`starting the gateway for ${configuration.tier}/${configuration.name}`);
      const partial = await start(configuration);
      targets.push({
        ...partial,
        client: createInferClient(
          partial.gateway.grpcAddress,
          settings.channels,
          settings.requestTimeoutMs,
        ),
      });
    }
    const [reference, ...others] = targets;
    const expected = await answersOf(reference.client, payloads);
    const agreement: Agreement[] = [];
    for (const target of others) {
      const check = compareAnswers(
        target.configuration.name,
        reference.configuration.name,
        expected,
        await answersOf(target.client, payloads),
      );
      agreement.push(check);
      if (!check.agree) log(`DISAGREEMENT: ${check.configuration} differs by ${check.maxAbsDiff}`);
    }

    const cells: Cell[] = [];
    const schedule: BatchingResults['schedule'] = [];
    for (const [index, concurrency] of settings.concurrencies.entries()) {
      const order = targets.map((_, i) => targets[(i + index) % targets.length]);
      schedule.push({
        tier: reference.configuration.tier,
        concurrency,
        order: order.map((target) => target.configuration.name),
      });
      for (const target of order) {
        const cell = await measureCell(target, payloads, concurrency, settings);
        cells.push(cell);
        log(
          `${cell.tier}/${cell.configuration} c=${concurrency}: ${cell.requestsPerSecond} req/s ` +
            `p50 ${cell.p50Ms} p99 ${cell.p99Ms} ms, batch ${cell.meanBatchSize ?? '–'}` +
            (cell.tritonMeanBatchSize === undefined
              ? ''
              : ` (Triton ${cell.tritonMeanBatchSize})`) +
            `, errors ${cell.errors}`,
        );
      }
    }
    return { cells, agreement, schedule };
  } finally {
    for (const target of targets) {
      target.client.close();
      await target.gateway.stop();
      started.gateways.delete(target.gateway);
    }
  }
}

async function startGateway(
  settings: BatchingBenchSettings,
  env: Record<string, string>,
): Promise<GatewayProcess> {
  const gateway = await startGatewayProcess(settings.ortIntraOpThreads, {
    ...commonGatewayEnv(Math.max(...settings.concurrencies)),
    ...env,
  });
  started.gateways.add(gateway);
  return gateway;
}

/** A real Triton with or without nanodet's dynamic batcher, checked on the config it serves. */
async function startTriton(
  settings: BatchingBenchSettings,
  dynamicBatching: boolean,
): Promise<RunningTriton> {
  log(`starting Triton ${dynamicBatching ? 'with' : 'without'} its dynamic batcher`);
  const triton = await startTritonServer({
    intraOpThreads: settings.tritonIntraOpThreads,
    maxLifetimeS: settings.watchdogSeconds + 60,
    readyTimeoutMs: 120_000,
    dynamicBatching,
  });
  started.tritons.add(triton);
  const answer = await tritonHttp(`http://${triton.httpAddress}/v2/models/${MODEL}/config`);
  const config = JSON.parse(answer.body.toString()) as { dynamic_batching?: unknown };
  if (answer.status !== 200 || (config.dynamic_batching !== undefined) !== dynamicBatching) {
    throw new Error(
      `Triton serves ${MODEL} ${config.dynamic_batching === undefined ? 'without' : 'with'} ` +
        `dynamic_batching (HTTP ${answer.status}); expected ${dynamicBatching ? 'with' : 'without'}`,
    );
  }
  return triton;
}

async function runInterop(
  settings: BatchingBenchSettings,
  payloads: readonly InferPayload[],
): Promise<TierOutcome> {
  const tritons = new Map<boolean, RunningTriton>();
  try {
    // One after the other: two start-ups at once on 2 cores risk the ready timeout.
    tritons.set(true, await startTriton(settings, true));
    tritons.set(false, await startTriton(settings, false));
    return await runTier(
      INTEROP_CONFIGURATIONS,
      async (configuration) => {
        const triton = tritons.get(configuration.tritonBatching === true);
        if (triton?.pid === undefined) throw new Error('Triton is not running');
        const gateway = await startGateway(settings, {
          ...configuration.gatewayEnv,
          TRITON_GRPC_URLS: triton.grpcAddress,
        });
        return {
          configuration,
          gateway,
          triton: { pgid: triton.pid, metricsUrl: triton.metricsUrl },
        };
      },
      payloads,
      settings,
    );
  } finally {
    for (const triton of tritons.values()) {
      await triton.stop();
      started.tritons.delete(triton);
    }
  }
}

function packageVersion(name: string): string {
  const manifest = JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as {
    version?: string;
  };
  return manifest.version ?? 'unknown';
}

async function main(): Promise<number> {
  const settings = loadSettings(process.env);
  const machine = machineInfo();
  if (settings.interop) {
    // Before the embedded tier, so a missing Triton fails the run at once, not minutes later.
    const missing = tritonPrerequisites();
    if (missing !== undefined) {
      throw new Error(`${missing} (BENCH_INTEROP=0 runs the embedded tier alone)`);
    }
  }
  const watchdog = setTimeout(() => {
    log(`watchdog: still running after ${settings.watchdogSeconds} s, killing everything`);
    killAll();
    process.exit(2);
  }, settings.watchdogSeconds * 1000);
  watchdog.unref();

  log('bare ONNX Runtime: cost per batch size …');
  const modelScaling = await measureModelScaling(settings.ortIntraOpThreads);
  const images = loadImages();
  const payloads = await buildPayloads(images);
  log(
    `${payloads.length} preprocessed images; concurrencies ${settings.concurrencies.join(', ')}, ` +
      `${settings.warmupMs} ms warm-up + ${settings.windowMs} ms per cell, ORT threads ${settings.ortIntraOpThreads}`,
  );

  const embedded = await runTier(
    EMBEDDED_CONFIGURATIONS,
    async (configuration) => ({
      configuration,
      gateway: await startGateway(settings, configuration.gatewayEnv),
    }),
    payloads,
    settings,
  );
  const interop = settings.interop ? await runInterop(settings, payloads) : undefined;

  const cells = [...embedded.cells, ...(interop?.cells ?? [])];
  const agreement = [...embedded.agreement, ...(interop?.agreement ?? [])];
  const totalErrors = cells.reduce((sum, cell) => sum + cell.errors, 0);
  const results: BatchingResults = {
    benchmark: 'batching',
    machine,
    loadAverageAtEnd: loadavg().map((value) => round(value, 2)),
    versions: {
      onnxruntimeNode: packageVersion('onnxruntime-node'),
      grpcJs: packageVersion('@grpc/grpc-js'),
      ...(settings.interop
        ? { triton: '2.51.0 (nvidia-pytriton, CPU, Python backend running the ONNX model)' }
        : {}),
    },
    settings: {
      ...settings,
      model: MODEL,
      images: images.map((image) => image.name),
      p99ObjectiveMs: P99_OBJECTIVE_MS,
      percentileMethod: 'nearest-rank',
    },
    configurations: [
      ...EMBEDDED_CONFIGURATIONS,
      ...(settings.interop ? INTEROP_CONFIGURATIONS : []),
    ],
    modelScaling,
    schedule: [...embedded.schedule, ...(interop?.schedule ?? [])],
    agreement,
    cells,
    targets: checkTargets(cells),
    totalErrors,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, 'batching.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(RESULTS_DIR, 'batching.md'), renderMarkdown(results));
  writeFigure(join(RESULTS_DIR, 'batching.png'), results);
  log('wrote load-tests/results/batching.{json,md,png}');
  clearTimeout(watchdog);

  if (totalErrors > 0) {
    log(`!!!!! ${totalErrors} REQUESTS FAILED: the cells marked ⚠ are suspect !!!!!`);
    return 1;
  }
  return agreement.every((entry) => entry.agree) ? 0 : 1;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: killing everything started here`);
    killAll();
    process.exit(130);
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    killAll();
    process.exit(1);
  },
);
