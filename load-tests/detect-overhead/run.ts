/**
 * Detect overhead benchmark: `npm run bench:detect-overhead`. Measures, in one run and on the same
 * images, detect latency through a bare ONNX Runtime session, the gateway's pipeline in-process,
 * and a real gateway (child process) over HTTP and gRPC, at several closed-loop concurrencies.
 * Writes load-tests/results/detect-overhead.{json,md}. See load-tests/README.md.
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import sharp from 'sharp';
import { loadGatewayConfig, type GatewayConfig } from '../../gateway/src/config/gateway-config';
import { gflHeadOf } from '../../gateway/src/vision/gfl-head';
import type { ModelMetadata } from '../../gateway/src/request-path/inference-backend';
import { machineInfo } from '../lib/machine-info';
import { seededRandom, shuffled } from '@test-support';
import { compareDetections, type Agreement } from './agreement';
import type { BenchPath } from './bench-path';
import { createGatewayPaths, type GatewayPaths } from './gateway-paths';
import { startGatewayProcess, type GatewayProcess } from './gateway-process';
import { loadImages, type SampleImage } from './images';
import { createInProcessPaths, type InProcessPaths } from './in-process-paths';
import { CellAccumulator, type ServerProcess } from './measure';
import { overheads } from './overhead';
import {
  compareWithReference,
  runReferencePipeline,
  type ReferenceSpec,
} from './reference-pipeline';
import { writeReport, type Report } from './report';
import {
  loadSettings,
  MODEL,
  MODEL_REPOSITORY,
  PATH_NAMES,
  type BenchSettings,
  type PathName,
} from './settings';

const log = (message: string): void => {
  process.stderr.write(`[detect-overhead] ${message}\n`);
};

async function checkAgreement(
  images: readonly SampleImage[],
  inProcess: InProcessPaths,
  gateway: GatewayPaths,
): Promise<Agreement[]> {
  const results: Agreement[] = [];
  for (const image of images) {
    results.push(
      compareDetections(
        image.name,
        await inProcess.detect(image),
        await gateway.detectHttp(image),
        await gateway.detectGrpc(image),
      ),
    );
  }
  return results;
}

async function measureAll(
  settings: BenchSettings,
  images: readonly SampleImage[],
  paths: Record<PathName, BenchPath>,
  gatewayPid: number,
): Promise<{ cells: CellAccumulator[]; schedule: Report['schedule'] }> {
  const random = seededRandom(settings.seed);
  const servers: Record<PathName, ServerProcess> = {
    'ort-direct': { kind: 'benchmark', pid: process.pid },
    'pipeline-in-process': { kind: 'benchmark', pid: process.pid },
    'gateway-http': { kind: 'gateway', pid: gatewayPid },
    'gateway-grpc': { kind: 'gateway', pid: gatewayPid },
  };
  const cells: CellAccumulator[] = [];
  const schedule: Report['schedule'] = [];
  for (const concurrency of settings.concurrencies) {
    const byPath = new Map(
      PATH_NAMES.map((name) => [name, new CellAccumulator(name, concurrency, servers[name])]),
    );
    for (let round = 1; round <= settings.rounds; round += 1) {
      const order = shuffled(PATH_NAMES, random);
      schedule.push({ concurrency, round, order });
      for (const name of order) {
        await byPath.get(name)?.runSlice(paths[name], images, settings);
        log(`c=${concurrency} round ${round}/${settings.rounds} ${name} done`);
      }
    }
    cells.push(...byPath.values());
  }
  return { cells, schedule };
}

/** The gateway's detect, as the reference pipeline should repeat it: same head, resize, options. */
function referenceSpec(
  settings: BenchSettings,
  metadata: ModelMetadata,
  defaults: GatewayConfig['detectDefaults'],
): ReferenceSpec {
  const { spec } = gflHeadOf(metadata);
  return {
    iterations: settings.referenceIterations,
    warmup: 2,
    inputWidth: spec.inputWidth,
    inputHeight: spec.inputHeight,
    resize: metadata.parameters['vision.resize'] === 'letterbox' ? 'letterbox' : 'stretch',
    strides: [...spec.strides],
    regMax: spec.regMax,
    ...defaults,
    // GflDecoder's default candidate cap and the converted NanoDet-m's cell centre (model card).
    topK: 1000,
    centerOffset: 0.5,
  };
}

function ortVersion(): string {
  const manifest = JSON.parse(
    readFileSync(require.resolve('onnxruntime-node/package.json'), 'utf8'),
  ) as { version?: string };
  return manifest.version ?? 'unknown';
}

async function main(): Promise<number> {
  const settings = loadSettings(process.env);
  const machine = machineInfo();
  const images = loadImages();
  const config = loadGatewayConfig({
    MODEL_REPOSITORY,
    ORT_INTRA_OP_THREADS: String(settings.ortIntraOpThreads),
    LOG_LEVEL: 'error',
  });

  let gateway: GatewayProcess | undefined;
  let gatewayPaths: GatewayPaths | undefined;
  let inProcess: InProcessPaths | undefined;
  // The benchmark must stop by itself even if something below hangs.
  const watchdog = setTimeout(() => {
    log(`watchdog: still running after ${settings.watchdogSeconds} s, giving up`);
    if (gateway) process.kill(gateway.pid, 'SIGKILL');
    process.exit(2);
  }, settings.watchdogSeconds * 1000);
  watchdog.unref();

  try {
    log(
      `loading ${MODEL} in-process and starting the gateway (ORT threads ${settings.ortIntraOpThreads})`,
    );
    inProcess = await createInProcessPaths(config, images);
    gateway = await startGatewayProcess(settings.ortIntraOpThreads);
    gatewayPaths = createGatewayPaths(
      gateway.httpUrl,
      gateway.grpcAddress,
      settings.requestTimeoutMs,
    );
    log(`gateway pid ${gateway.pid} at ${gateway.httpUrl} and ${gateway.grpcAddress}`);

    const agreement = await checkAgreement(images, inProcess, gatewayPaths);
    for (const entry of agreement.filter((a) => !a.agree))
      log(`DISAGREEMENT on ${entry.image}: ${entry.problem}`);

    const paths: Record<PathName, BenchPath> = {
      'ort-direct': inProcess.ortDirect,
      'pipeline-in-process': inProcess.pipeline,
      'gateway-http': gatewayPaths.http,
      'gateway-grpc': gatewayPaths.grpc,
    };
    const { cells, schedule } = await measureAll(settings, images, paths, gateway.pid);
    const results = cells.map((cell) => cell.result());
    log(`reference pipeline (OpenCV + numpy): ${settings.referenceIterations} calls per image`);
    const reference = await runReferencePipeline(
      images,
      referenceSpec(settings, inProcess.metadata, config.detectDefaults),
    );
    const referenceAgreement = [];
    for (const [index, image] of images.entries())
      referenceAgreement.push(
        compareWithReference(await inProcess.detect(image), reference.images[index]),
      );
    const totalErrors = results.reduce((sum, cell) => sum + cell.errors, 0);
    const report: Report = {
      benchmark: 'detect-overhead',
      machine,
      loadAverageAtEnd: loadavg().map((value) => Math.round(value * 100) / 100),
      versions: {
        onnxruntimeNode: ortVersion(),
        sharp: sharp.versions.sharp,
        libvips: sharp.versions.vips,
      },
      settings: {
        ...settings,
        images: images.map((image) => ({ name: image.name, bytes: image.bytes.byteLength })),
        model: MODEL,
        percentileMethod: 'nearest-rank',
      },
      schedule,
      agreement,
      cells: results,
      reference,
      referenceAgreement,
      overhead: overheads(results),
      totalErrors,
    };
    const written = writeReport(report);
    log(`wrote ${written.json}, ${written.markdown} and ${written.png}`);
    for (const cell of results) {
      log(
        `${cell.path.padEnd(19)} c=${String(cell.concurrency).padEnd(2)} n=${cell.samples} ` +
          `${cell.throughputRps} req/s p50 ${cell.latency.p50Ms} p99 ${cell.latency.p99Ms} ms errors ${cell.errors}`,
      );
    }
    if (totalErrors > 0) {
      log(
        `!!!!! ${totalErrors} REQUESTS FAILED: the results are suspect (see errorMessages in the JSON) !!!!!`,
      );
      return 1;
    }
    return agreement.every((a) => a.agree) ? 0 : 1;
  } finally {
    gatewayPaths?.close();
    await gateway?.stop();
    await inProcess?.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
