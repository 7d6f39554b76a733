import { round } from '../lib/latency-stats';
import type { Tier } from './configurations';
import type { BatchingResults, Cell, TargetCheck } from './types';

const dash = '–';
const show = (value: number | undefined): string =>
  value === undefined || Number.isNaN(value) ? dash : String(value);

/** The markdown report: the design targets first, then every cell of both tiers. */
export function renderMarkdown(results: BatchingResults): string {
  const { settings, machine } = results;
  const lines: string[] = [
    '# Dynamic batching: throughput and latency',
    '',
    `NanoDet-m KServe v2 gRPC \`ModelInfer\` ([1,3,416,416] FP32 in raw_input_contents, the gateway's own preprocessing of ${settings.images.length} sample images: ${settings.images.join(', ')}) against a real gateway in a child process, closed loop at concurrency ${settings.concurrencies.join(', ')} over ${settings.channels} gRPC channel(s). Each cell: ${settings.warmupMs / 1000} s warm-up (discarded; adaptive mode tunes itself here), then a ${settings.windowMs / 1000} s window; the configurations run in a rotated order at each concurrency. Percentiles are nearest-rank over the requests sent in the window; req/s counts those answered in it.`,
    '',
    `Embedded backend: ONNX Runtime, ${settings.ortIntraOpThreads} intra-op thread(s). Interop tier: ${settings.interop ? `Triton 2.51 (nvidia-pytriton, CPU, Python backend running the ONNX model, ${settings.tritonIntraOpThreads} intra-op thread), once with config.pbtxt's dynamic_batching and once without` : 'not run (BENCH_INTEROP=0)'}. Admission bounds admit every request at once and rate limits are off, so only batching shapes the numbers.`,
    '',
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.platform}, Node ${machine.node}; commit ${machine.gitCommit.slice(0, 12)}${machine.gitDirty ? ' (dirty)' : ''}; ${machine.date}. Load average at start ${machine.loadAverageAtStart.join(' / ')}, at end ${results.loadAverageAtEnd.join(' / ')}. The load generator, the gateway (and Triton) share these cores; absolute numbers are for this machine, the ratios between configurations of one run are the result.`,
    '',
  ];
  if (results.totalErrors > 0) {
    lines.push(
      `**${results.totalErrors} requests failed: the cells marked ⚠ are suspect** (messages in the JSON).`,
      '',
    );
  }
  lines.push('## Design targets (issue 5; reported, never asserted)', '');
  lines.push(...targetTable(results.targets), '');
  lines.push(
    'The speed-up target is stated for c = 16; other concurrencies are context. "Batching" is the fastest batched setting (fixed or adaptive) whose p99 is under the limit, or the fastest of all when none is. The adaptive objective covers the time a request spends in the batch queue and the backend; the client p99 adds transport and the other stages, so it is the stricter reading.',
    '',
  );
  lines.push(
    '## What batching can gain here: the model itself',
    '',
    `Bare ONNX Runtime in the benchmark process (same ONNX file, ${settings.ortIntraOpThreads} intra-op thread(s) like each gateway instance), median per batch: batching can raise throughput only as far as a batch of b costs less than b batches of one.`,
    '',
    '| batch | ms per batch | ms per image | images/s (one instance) |',
    '| ---: | ---: | ---: | ---: |',
    ...results.modelScaling.map(
      (point) =>
        `| ${point.batch} | ${point.msPerBatch} | ${point.msPerImage} | ${point.imagesPerSecond} |`,
    ),
    '',
  );
  lines.push('## Embedded backend', '', ...configurationList(results, 'embedded'), '');
  lines.push(
    ...cellTable(
      results.cells.filter((cell) => cell.tier === 'embedded'),
      'off',
    ),
    '',
  );
  const adaptive = results.cells.filter((cell) => cell.adaptive !== undefined);
  if (adaptive.length > 0) {
    lines.push('Where adaptive mode stood at the end of each window:', '');
    lines.push(
      '| c | batch size limit | queue delay ms | gateway p99 (queue + backend) ms | client p99 ms | mean batch |',
      '|--:|--:|--:|--:|--:|--:|',
      ...adaptive.map(
        (cell) =>
          `| ${cell.concurrency} | ${show(cell.adaptive?.maxBatchSize)} | ${show(cell.adaptive?.maxQueueDelayMs)} | ${show(cell.adaptive?.observedP99Ms)} | ${cell.p99Ms} | ${show(cell.meanBatchSize)} |`,
      ),
      '',
    );
  }
  if (settings.interop) {
    lines.push("## Interop: gateway batching vs Triton's dynamic batcher", '');
    lines.push(...configurationList(results, 'interop'), '');
    lines.push(
      ...cellTable(
        results.cells.filter((cell) => cell.tier === 'interop'),
        'neither',
      ),
      '',
    );
  }
  lines.push('## Answers', '');
  lines.push(
    'Before measuring, every configuration answered the sample images (sent at once, so they batch) and its outputs were compared with the unbatched configuration of its tier:',
    '',
    '| configuration | reference | max abs difference | agree |',
    '|---|---|--:|---|',
    ...results.agreement.map(
      (a) =>
        `| ${a.configuration} | ${a.reference} | ${a.maxAbsDiff} | ${a.agree ? 'yes' : '**no**'} |`,
    ),
    '',
  );
  return `${lines.join('\n')}\n`;
}

function targetTable(targets: readonly TargetCheck[]): string[] {
  if (targets.length === 0) return ['(no embedded cells to check)'];
  return [
    '| c | target | measured | result |',
    '|--:|---|---|---|',
    ...targets.map(
      (check) =>
        `| ${check.concurrency} | ${check.target} | ${check.measured} | ${
          check.met === undefined ? 'undecided (errors)' : check.met ? 'met' : '**missed**'
        } |`,
    ),
  ];
}

function configurationList(results: BatchingResults, tier: Tier): string[] {
  return results.configurations
    .filter((configuration) => configuration.tier === tier)
    .map((configuration) => `- **${configuration.name}**: ${configuration.description}`);
}

function cellTable(cells: readonly Cell[], baseline: string): string[] {
  const interop = cells.some((cell) => cell.tritonCpuMsPerRequest !== undefined);
  const header = [
    'configuration',
    'c',
    'samples',
    'req/s',
    `× ${baseline}`,
    'p50 ms',
    'p90 ms',
    'p99 ms',
    interop ? 'gateway mean batch' : 'mean batch',
    ...(interop ? ['Triton mean batch'] : []),
    'gateway CPU ms/req',
    'gateway CPU cores',
    ...(interop ? ['Triton CPU ms/req'] : []),
    'gateway peak RSS MiB',
    'errors',
  ];
  const rows = [...cells]
    .sort((a, b) => a.concurrency - b.concurrency)
    .map((cell) => {
      const base = cells.find(
        (other) => other.configuration === baseline && other.concurrency === cell.concurrency,
      );
      const ratio = base ? round(cell.requestsPerSecond / base.requestsPerSecond, 2) : undefined;
      return [
        cell.errors > 0 ? `⚠ ${cell.configuration}` : cell.configuration,
        cell.concurrency,
        cell.samples,
        cell.requestsPerSecond,
        show(ratio),
        cell.p50Ms,
        cell.p90Ms,
        cell.p99Ms,
        show(cell.meanBatchSize),
        ...(interop ? [show(cell.tritonMeanBatchSize)] : []),
        cell.gatewayCpuMsPerRequest,
        cell.gatewayCpuCores,
        ...(interop ? [show(cell.tritonCpuMsPerRequest)] : []),
        `${cell.gatewayPeakRssMiB}${cell.peakRssReset ? '' : '*'}`,
        cell.errors,
      ];
    });
  const lines = [
    `| ${header.join(' | ')} |`,
    `|---|${header
      .slice(1)
      .map(() => '--:')
      .join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ];
  if (cells.some((cell) => !cell.peakRssReset)) {
    lines.push('', '\\* peak RSS since the gateway started (the kernel refused to reset VmHWM).');
  }
  return lines;
}
