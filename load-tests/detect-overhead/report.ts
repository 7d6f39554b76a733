import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { MachineInfo } from '../lib/machine-info';
import { plotLines } from '../lib/plot';
import type { Agreement } from './agreement';
import type { CellResult } from './measure';
import type { Overhead } from './overhead';
import {
  REFERENCE_STAGES,
  referenceExcludingModelMs,
  type ReferenceAgreement,
  type ReferenceResult,
} from './reference-pipeline';
import {
  PATH_NAMES as PATH_ORDER,
  RESULTS_DIR,
  type BenchSettings,
  type PathName,
} from './settings';

export interface Report {
  benchmark: 'detect-overhead';
  machine: MachineInfo;
  loadAverageAtEnd: number[];
  versions: { onnxruntimeNode: string; sharp: string; libvips: string };
  settings: BenchSettings & {
    images: { name: string; bytes: number }[];
    model: string;
    percentileMethod: string;
  };
  /** Path order of every round at every concurrency (seeded shuffle). */
  schedule: { concurrency: number; round: number; order: PathName[] }[];
  agreement: Agreement[];
  cells: CellResult[];
  overhead: Overhead[];
  /** The OpenCV/numpy reference pipeline on the same images and model file (after the cells). */
  reference: ReferenceResult;
  referenceAgreement: ReferenceAgreement[];
  totalErrors: number;
}

export function writeReport(report: Report): { json: string; markdown: string; png: string } {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = resolve(RESULTS_DIR, 'detect-overhead.json');
  const markdown = resolve(RESULTS_DIR, 'detect-overhead.md');
  const png = resolve(RESULTS_DIR, 'detect-overhead.png');
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(markdown, renderMarkdown(report));
  plotReport(report, png);
  return { json, markdown, png };
}

/**
 * Own CPU per call (excluding the model, with the reference's as a line when the run has one: runs
 * before the reference pipeline existed have none) and p50, by path.
 */
export function plotReport(
  report: Pick<Report, 'cells'> & Partial<Pick<Report, 'reference'>>,
  output: string,
): void {
  const cellsOf = (path: PathName) =>
    report.cells.filter((cell) => cell.path === path).sort((a, b) => a.concurrency - b.concurrency);
  const model = new Map(
    cellsOf('ort-direct').map((cell) => [cell.concurrency, cell.server.cpuMsPerRequest]),
  );
  const own = PATH_ORDER.filter((path) => path !== 'ort-direct').map((path) => {
    const cells = cellsOf(path).filter((cell) => model.has(cell.concurrency));
    return {
      label: path,
      x: cells.map((cell) => cell.concurrency),
      y: cells.map((cell) => cell.server.cpuMsPerRequest - (model.get(cell.concurrency) ?? 0)),
    };
  });
  const concurrencies = [...model.keys()].sort((a, b) => a - b);
  const reference = report.reference && referenceExcludingModelMs(report.reference);
  plotLines(output, 'NanoDet detect: own CPU and latency per path', [
    {
      title: "CPU per call excluding the model (serving process − ort-direct's)",
      xlabel: 'concurrency',
      ylabel: 'CPU ms / call',
      logx2: true,
      series: [
        ...own,
        ...(reference === undefined
          ? []
          : [
              {
                label: 'reference (OpenCV + numpy), excluding its model',
                x: concurrencies,
                y: concurrencies.map(() => reference),
              },
            ]),
      ],
    },
    {
      title: 'p50 latency',
      xlabel: 'concurrency',
      ylabel: 'ms',
      logx2: true,
      logy: true,
      series: PATH_ORDER.map((path) => {
        const cells = cellsOf(path);
        return {
          label: path,
          x: cells.map((cell) => cell.concurrency),
          y: cells.map((cell) => cell.latency.p50Ms),
        };
      }),
    },
  ]);
}

const fixed = (value: number, digits = 1): string =>
  Number.isFinite(value) ? value.toFixed(digits) : '–';
const signed = (value: number): string => `${value >= 0 ? '+' : ''}${fixed(value)}`;

function renderMarkdown(report: Report): string {
  const { machine, settings } = report;
  const cellSeconds = settings.rounds * settings.sliceSeconds;
  const lines = [
    '# Detect overhead: gateway vs in-process pipeline vs bare ONNX Runtime',
    '',
    ...(report.totalErrors > 0
      ? [
          `> **⚠ ${report.totalErrors} REQUESTS FAILED — the numbers below are suspect.** See \`errorMessages\` in the JSON.`,
          '',
        ]
      : []),
    `NanoDet-m (416×416) detect on ${settings.images.length} sample images (${settings.images.map((image) => image.name).join(', ')}), ` +
      `closed loop at concurrency ${settings.concurrencies.join(', ')}. Paths: **ort-direct** (a bare ` +
      "ONNX Runtime session fed pre-made tensors), **pipeline-in-process** (the gateway's own " +
      'DetectPipeline, constructed without Nest: decode, resize, infer, GFL decode, NMS, box mapping), ' +
      '**gateway-http** and **gateway-grpc** (a real gateway in a child process, over loopback).',
    '',
    `Each cell is ${settings.rounds} slices of ${settings.sliceSeconds} s (${cellSeconds} s measured), each ` +
      `after ${settings.warmupSeconds} s of discarded warm-up; every round runs the paths in a new seeded ` +
      `random order (seed ${settings.seed}). ONNX Runtime intra-op threads: ${settings.ortIntraOpThreads} ` +
      'in the gateway and in-process. Percentiles are nearest-rank over the requests sent inside the ' +
      'measured windows; req/s counts the requests answered inside them. Server CPU and peak RSS are read from ' +
      '/proc of the serving process: the gateway child, or the benchmark process for in-process paths.',
    '',
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, onnxruntime-node ` +
      `${report.versions.onnxruntimeNode}, sharp ${report.versions.sharp} (libvips ${report.versions.libvips}); ` +
      `commit ${machine.gitCommit.slice(0, 12)}${machine.gitDirty ? ' + uncommitted changes' : ''}; ` +
      `${machine.date}; load average ${machine.loadAverageAtStart.join(' / ')} at start, ` +
      `${report.loadAverageAtEnd.join(' / ')} at end. Absolute times are machine-dependent; the ratios are the result.`,
    '',
    '## Latency and cost per path',
    '',
    '| path | c | samples | req/s | p50 ms | p90 ms | p99 ms | max ms | errors | server CPU s | server CPU ms/req | server peak RSS MiB | bench-process CPU s |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...report.cells
      .map((cell) =>
        [
          cell.path,
          cell.concurrency,
          cell.samples,
          fixed(cell.throughputRps),
          fixed(cell.latency.p50Ms),
          fixed(cell.latency.p90Ms),
          fixed(cell.latency.p99Ms),
          fixed(cell.latency.maxMs),
          cell.errors > 0 ? `**${cell.errors}**` : '0',
          `${fixed(cell.server.cpuSeconds)} (${cell.server.process})`,
          fixed(cell.server.cpuMsPerRequest),
          fixed(cell.server.peakRssMiB, 0),
          fixed(cell.benchmarkProcessCpuSeconds),
        ].join(' | '),
      )
      .map((row) => `| ${row} |`),
    '',
    '## Overhead',
    '',
    '| c | path | vs | p50 added ms | p50 ratio | p99 added ms | p99 ratio | throughput ratio | CPU/req ratio |',
    '|--:|---|---|--:|--:|--:|--:|--:|--:|',
    ...report.overhead.map(
      (o) =>
        `| ${o.concurrency} | ${o.path} | ${o.baseline} | ${signed(o.p50AddedMs)} | ${fixed(o.p50Ratio, 2)}× | ` +
        `${signed(o.p99AddedMs)} | ${fixed(o.p99Ratio, 2)}× | ${fixed(o.throughputRatio, 2)}× | ${fixed(o.cpuPerRequestRatio, 2)}× |`,
    ),
    '',
    ...excludingModelTable(report),
    ...referenceTable(report),
    ...byImageTable(report),
    '## Interpretation',
    '',
    ...interpretation(report).map((line) => `- ${line}`),
    '',
    report.totalErrors === 0
      ? 'Errors: none in any cell (warm-up included).'
      : `Errors: **${report.totalErrors} requests failed**; the affected cells are not comparable.`,
    '',
    `Agreement check: ${agreementLine(report.agreement)}`,
    '',
    `Reference agreement: ${referenceAgreementLine(report.referenceAgreement)}`,
    '',
  ];
  return lines.join('\n');
}

/**
 * Issue 15's detect targets: the serving process's CPU per call minus the bare model's (ort-direct
 * at the same concurrency) is what the gateway itself costs; the reference pipeline's own stages
 * without its model are what a good hand-written pipeline costs.
 */
const TARGET_EXCLUDING_MODEL_MS = 8;
const TARGET_OF_MODEL = 1.2;
const TARGET_OF_REFERENCE = 1.5;

function excludingModelTable(report: Report): string[] {
  const referenceMs = referenceExcludingModelMs(report.reference);
  const rows = report.cells
    .filter((cell) => cell.path !== 'ort-direct')
    .map((cell) => {
      const model = report.cells.find(
        (c) => c.path === 'ort-direct' && c.concurrency === cell.concurrency,
      );
      const modelMs = model?.server.cpuMsPerRequest ?? NaN;
      const ownMs = cell.server.cpuMsPerRequest - modelMs;
      return (
        `| ${cell.concurrency} | ${cell.path} | ${fixed(cell.server.cpuMsPerRequest)} | ${fixed(modelMs)} | ` +
        `${fixed(ownMs)} | ${fixed(cell.server.cpuMsPerRequest / modelMs, 2)}× | ${fixed(ownMs / referenceMs, 2)}× |`
      );
    });
  const images = report.reference.images;
  const mean = (stage: (typeof REFERENCE_STAGES)[number]): number =>
    images.reduce((sum, image) => sum + image.cpuMs[stage], 0) / images.length;
  const referenceTotal = REFERENCE_STAGES.reduce((sum, stage) => sum + mean(stage), 0);
  return [
    '## CPU per call excluding the model',
    '',
    `Targets (issue 15): the gateway's own CPU ≤ ${TARGET_EXCLUDING_MODEL_MS} ms per image, the whole call ≤ ` +
      `${TARGET_OF_MODEL}× the bare model's CPU, and its own CPU ≤ ${TARGET_OF_REFERENCE}× the reference pipeline's ` +
      "(OpenCV + numpy, one thread, its model's CPU left out). Own CPU = serving process CPU per call − " +
      "ort-direct's at the same concurrency; the in-process paths' process also runs the load generator.",
    '',
    '| c | path | CPU ms/call | bare model ms/call | own CPU ms (excl. model) | ÷ bare model | own ÷ reference own |',
    '|--:|---|--:|--:|--:|--:|--:|',
    ...rows,
    `| 1 (serial) | reference (OpenCV + numpy) | ${fixed(referenceTotal)} | ${fixed(mean('model'))} (cv2.dnn) | ` +
      `${fixed(referenceMs)} | ${fixed(referenceTotal / mean('model'), 2)}× | 1.00× |`,
    '',
  ];
}

/** The reference pipeline per image and stage, and how its detections compare with the gateway's. */
function referenceTable(report: Report): string[] {
  const { reference } = report;
  const rows = reference.images.map((image, index) => {
    const agreement = report.referenceAgreement[index];
    const own = image.cpuMs.decode + image.cpuMs.preprocess + image.cpuMs.postprocess;
    return (
      `| ${image.name} | ${REFERENCE_STAGES.map((stage) => fixed(image.cpuMs[stage], 2)).join(' | ')} | ${fixed(own, 2)} | ` +
      `${agreement.gateway} / ${agreement.reference} / ${agreement.matched} | ${fixed(agreement.maxBoxDifferencePx, 2)} |`
    );
  });
  return [
    `## Reference pipeline (OpenCV ${reference.versions.opencv}, numpy ${reference.versions.numpy}), CPU ms per call`,
    '',
    `cv2.imdecode → ${reference.spec.resize} to ${reference.spec.inputWidth}×${reference.spec.inputHeight} as the gateway ` +
      'plans it (cv2.resize bilinear + copyMakeBorder) → cv2.dnn.blobFromImage → the same model.onnx through ' +
      'cv2.dnn (cv2.setNumThreads(1)) → numpy GFL decode (threshold before softmax) → cv2.dnn.NMSBoxesBatched → ' +
      `boxes to source pixels; mean of ${reference.spec.iterations} calls per image after ${reference.spec.warmup} ` +
      "of warm-up, process CPU (load-tests/detect-overhead/reference_pipeline.py). Detections: the gateway's / " +
      "the reference's / matched (same class, IoU ≥ 0.5); box difference: largest coordinate gap of a gateway " +
      'detection to its nearest same-class reference box (the resize filters differ: Lanczos-3 vs bilinear).',
    '',
    `| image | ${REFERENCE_STAGES.join(' | ')} | excl. model | detections (gateway / reference / matched) | max box difference px |`,
    `|---|${REFERENCE_STAGES.map(() => '--:').join('|')}|--:|--:|--:|`,
    ...rows,
    '',
  ];
}

/** p50 per image at the lowest concurrency, where latency is not queueing: payload size shows. */
function byImageTable(report: Report): string[] {
  const concurrency = Math.min(...report.settings.concurrencies);
  const cells = PATH_ORDER.map((path) =>
    report.cells.find((cell) => cell.path === path && cell.concurrency === concurrency),
  );
  const rows = report.settings.images.map(({ name, bytes }, index) => {
    const values = cells.map((cell) =>
      fixed(cell?.byImage.find((b) => b.image === name)?.p50Ms ?? NaN),
    );
    const detections = report.agreement[index]?.detections ?? '–';
    return `| ${name} | ${Math.round(bytes / 1024)} KiB | ${detections} | ${values.join(' | ')} |`;
  });
  return [
    `## p50 by image at c=${concurrency} (ms)`,
    '',
    `| image | size | detections | ${PATH_ORDER.join(' | ')} |`,
    `|---|--:|--:|${PATH_ORDER.map(() => '--:').join('|')}|`,
    ...rows,
    '',
  ];
}

function agreementLine(agreement: readonly Agreement[]): string {
  const failed = agreement.filter((entry) => !entry.agree);
  if (failed.length === 0) {
    const total = agreement.reduce((sum, entry) => sum + entry.detections, 0);
    return `in-process, HTTP and gRPC returned the same ${total} detections on the ${agreement.length} images.`;
  }
  return `**paths disagree** on ${failed.map((entry) => `${entry.image} (${entry.problem})`).join('; ')}.`;
}

function referenceAgreementLine(agreement: readonly ReferenceAgreement[]): string {
  const sum = (key: 'gateway' | 'reference' | 'matched'): number =>
    agreement.reduce((total, entry) => total + entry[key], 0);
  const maxPx = Math.max(0, ...agreement.map((entry) => entry.maxBoxDifferencePx));
  return (
    `the gateway found ${sum('gateway')} and the OpenCV/numpy reference ${sum('reference')} detections on ` +
    `the ${agreement.length} images, ${sum('matched')} matched (same class, IoU ≥ 0.5); matched boxes differ by ` +
    `at most ${fixed(maxPx, 2)} px.`
  );
}

/** Sentences filled from this run's numbers, so the text cannot drift from the table. */
function interpretation(report: Report): string[] {
  const find = (path: PathName, concurrency: number, baseline: PathName = 'pipeline-in-process') =>
    report.overhead.find(
      (o) => o.path === path && o.concurrency === concurrency && o.baseline === baseline,
    );
  const cell = (path: PathName, concurrency: number) =>
    report.cells.find((c) => c.path === path && c.concurrency === concurrency);
  const lowest = Math.min(...report.settings.concurrencies);
  const highest = Math.max(...report.settings.concurrencies);
  const lines: string[] = [];

  const http = find('gateway-http', lowest);
  const grpc = find('gateway-grpc', lowest);
  const model = cell('ort-direct', lowest);
  const pipeline = cell('pipeline-in-process', lowest);
  if (http && grpc && model && pipeline) {
    lines.push(
      `At c=${lowest} the gateway adds ${signed(http.p50AddedMs)} ms (HTTP, ${fixed(http.p50Ratio, 2)}×) and ` +
        `${signed(grpc.p50AddedMs)} ms (gRPC, ${fixed(grpc.p50Ratio, 2)}×) at p50 to the in-process pipeline, ` +
        `${signed(http.p99AddedMs)} / ${signed(grpc.p99AddedMs)} ms at p99. The model alone is ` +
        `${fixed((100 * model.latency.p50Ms) / pipeline.latency.p50Ms, 0)}% of the in-process p50; ` +
        'image decode/resize and post-processing are the rest.',
    );
  }
  const httpHigh = find('gateway-http', highest);
  const grpcHigh = find('gateway-grpc', highest);
  if (httpHigh && grpcHigh && highest > lowest) {
    lines.push(
      `At c=${highest} the ${report.machine.cores} cores are saturated and latency is mostly queueing ` +
        `(p50 ≈ c / throughput), so throughput and CPU per request are the fairer comparison: HTTP serves ` +
        `${fixed(100 * httpHigh.throughputRatio, 0)}% and gRPC ${fixed(100 * grpcHigh.throughputRatio, 0)}% of ` +
        `the in-process rate, spending ${fixed(httpHigh.cpuPerRequestRatio, 2)}× / ${fixed(grpcHigh.cpuPerRequestRatio, 2)}× ` +
        'its CPU per request.',
    );
  }
  const modelLow = cell('ort-direct', lowest);
  const modelHigh = cell('ort-direct', highest);
  if (modelLow && modelHigh && highest > lowest) {
    const scaling = modelHigh.throughputRps / modelLow.throughputRps;
    lines.push(
      scaling < 1.3
        ? `Concurrency barely changes the bare session's throughput (${fixed(modelLow.throughputRps)} → ` +
            `${fixed(modelHigh.throughputRps)} req/s): one ONNX Runtime session runs one inference at a ` +
            'time (on its calling thread: the gateway keeps each model instance in a worker thread, and ' +
            'nanodet has one instance), so the other core is left to sharp, the network and the client.'
        : `The bare session's throughput grows ${fixed(scaling, 2)}× from c=${lowest} to c=${highest}.`,
    );
  }
  if (model) {
    const referenceMs = referenceExcludingModelMs(report.reference);
    const targetPaths = (['pipeline-in-process', 'gateway-http', 'gateway-grpc'] as const).flatMap(
      (path) => {
        const subject = cell(path, lowest);
        return subject ? [{ path, cpuMs: subject.server.cpuMsPerRequest }] : [];
      },
    );
    const modelMs = model.server.cpuMsPerRequest;
    const own = targetPaths.map(({ path, cpuMs }) => `${path} ${fixed(cpuMs - modelMs)} ms`);
    const ofModel = targetPaths.map(({ path, cpuMs }) => `${path} ${fixed(cpuMs / modelMs, 2)}×`);
    const ofReference = targetPaths.map(
      ({ path, cpuMs }) => `${path} ${fixed((cpuMs - modelMs) / referenceMs, 2)}×`,
    );
    lines.push(
      `Own CPU per call at c=${lowest} (excluding the model's ${fixed(modelMs)} ms): ${own.join(', ')} ` +
        `(target ≤ ${TARGET_EXCLUDING_MODEL_MS} ms); the whole call ${ofModel.join(', ')} the bare model ` +
        `(target ≤ ${TARGET_OF_MODEL}×); own CPU ${ofReference.join(', ')} the reference pipeline's ` +
        `${fixed(referenceMs)} ms (target ≤ ${TARGET_OF_REFERENCE}×).`,
    );
  }
  const clientMs = (path: PathName): number => {
    const cells = report.cells.filter((c) => c.path === path);
    const seconds = cells.reduce((sum, c) => sum + c.benchmarkProcessCpuSeconds, 0);
    return (1000 * seconds) / cells.reduce((sum, c) => sum + c.completedInWindow, 0);
  };
  lines.push(
    `The load generator shares the ${report.machine.cores} cores with the gateway (and with other work ` +
      'on this machine; see the load averages), so part of the gap is client CPU taken from the ' +
      'gateway: read the gateway rows as an upper bound on its overhead. The gRPC client costs ' +
      `${fixed(clientMs('gateway-grpc'))} ms CPU per request against ${fixed(clientMs('gateway-http'))} ms ` +
      "for HTTP, so some of gRPC's extra latency is on the client side.",
  );
  return lines;
}
