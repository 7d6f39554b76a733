import { round } from '../lib/latency-stats';
import type { DetectCell } from './detect-phase';
import type { Cell, TritonOverheadResults } from './types';

const fmt = (value: number | undefined, digits = 2): string =>
  value === undefined || Number.isNaN(value) ? '–' : String(round(value, digits));

export interface Ratio {
  protocol: 'http' | 'grpc';
  concurrency: number;
  throughputRatio?: number;
  addedP50Ms?: number;
  addedP99Ms?: number;
}

/** Gateway vs direct for the same protocol and concurrency. */
export function ratios(cells: readonly Cell[]): Ratio[] {
  const out: Ratio[] = [];
  for (const gateway of cells.filter((cell) => cell.target.startsWith('gateway'))) {
    const direct = cells.find(
      (cell) =>
        cell.target === `direct-${gateway.protocol}` && cell.concurrency === gateway.concurrency,
    );
    const pair = (pick: (cell: Cell) => number | undefined): [number, number] | undefined => {
      const g = gateway.ok ? pick(gateway) : undefined;
      const d = direct?.ok ? pick(direct) : undefined;
      return g === undefined || d === undefined ? undefined : [g, d];
    };
    const throughput = pair((cell) => cell.throughput);
    const p50 = pair((cell) => cell.p50Ms);
    const p99 = pair((cell) => cell.p99Ms);
    out.push({
      protocol: gateway.protocol,
      concurrency: gateway.concurrency,
      throughputRatio: throughput && round(throughput[0] / throughput[1], 3),
      addedP50Ms: p50 && round(p50[0] - p50[1], 2),
      addedP99Ms: p99 && round(p99[0] - p99[1], 2),
    });
  }
  return out.sort((a, b) => a.concurrency - b.concurrency || a.protocol.localeCompare(b.protocol));
}

export function renderMarkdown(results: TritonOverheadResults): string {
  const { machine, settings } = results;
  const lines: string[] = [
    '# triton-overhead',
    '',
    `NVIDIA perf_analyzer (${results.versions.perfAnalyzer}) against a real Triton ` +
      `${results.versions.triton} directly, and against the gateway in front of that same Triton ` +
      '(`TRITON_GRPC_URLS`), over KServe v2 HTTP and gRPC. Model `nanodet`, batch 1, ' +
      `${String(settings.inputData)} FP32 [3,416,416] input; each cell is ${String(settings.windows)} fixed ` +
      `windows of ${String(settings.measurementIntervalMs)} ms (\`--measurement-mode time_windows\`, stability check off).`,
    '',
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.platform}, ` +
      `Node ${machine.node}; commit ${machine.gitCommit.slice(0, 12)}${machine.gitDirty ? ' (dirty)' : ''}; ` +
      `${machine.date}. Load average at start ${machine.loadAverageAtStart.join(' / ')}, at end ` +
      `${results.loadAverageAtEnd.join(' / ')}.`,
    '',
    '**Everything shares the same cores**: Triton (and its Python-backend stub running ONNX ' +
      "Runtime), the gateway child and perf_analyzer itself. The gateway's own CPU therefore " +
      'competes with the model for the same cores, so the throughput ratio at high concurrency ' +
      'measures CPU contention as much as gateway latency. Absolute numbers are for this machine only.',
    '',
    '## Results',
    '',
    '| target | protocol | concurrency | infer/s | p50 ms | p90 ms | p99 ms | gateway CPU s | gateway CPU ms/infer | Triton CPU ms/infer | gateway peak RSS MiB |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const sorted = [...results.cells].sort(
    (a, b) =>
      a.concurrency - b.concurrency ||
      a.protocol.localeCompare(b.protocol) ||
      a.target.localeCompare(b.target),
  );
  for (const cell of sorted) {
    lines.push(
      `| ${cell.target.split('-')[0]} | ${cell.protocol} | ${cell.concurrency} | ` +
        (cell.ok
          ? `${fmt(cell.throughput)} | ${fmt(cell.p50Ms)} | ${fmt(cell.p90Ms)} | ${fmt(cell.p99Ms)}`
          : `FAILED | – | – | –`) +
        ` | ${fmt(cell.gatewayCpuS)} | ${fmt(cell.gatewayCpuMsPerInfer)} | ${fmt(cell.tritonCpuMsPerInfer)} | ${fmt(cell.gatewayPeakRssMiB, 1)} |`,
    );
  }
  lines.push(
    '',
    'Gateway CPU is the gateway child over the whole perf_analyzer run of that cell (warm-up and ' +
      'all windows); on direct cells it is only its idle health checks. CPU ms/infer divides by ' +
      'throughput × run wall time, an estimate.',
    '',
    '## Gateway vs direct',
    '',
    '| protocol | concurrency | throughput ratio | added p50 ms | added p99 ms |',
    '| --- | ---: | ---: | ---: | ---: |',
  );
  const ratioList = ratios(results.cells);
  for (const ratio of ratioList) {
    lines.push(
      `| ${ratio.protocol} | ${ratio.concurrency} | ${fmt(ratio.throughputRatio, 3)} | ` +
        `${fmt(ratio.addedP50Ms)} | ${fmt(ratio.addedP99Ms)} |`,
    );
  }
  const at = (protocol: string, concurrency: number): Ratio | undefined =>
    ratioList.find((ratio) => ratio.protocol === protocol && ratio.concurrency === concurrency);
  const gatewayCpu = results.cells
    .filter((cell) => cell.target.startsWith('gateway') && cell.gatewayCpuMsPerInfer !== undefined)
    .map((cell) => cell.gatewayCpuMsPerInfer as number)
    .sort((a, b) => a - b);
  const tritonCpu = results.cells
    .filter((cell) => cell.target.startsWith('direct') && cell.tritonCpuMsPerInfer !== undefined)
    .map((cell) => cell.tritonCpuMsPerInfer as number)
    .sort((a, b) => a - b);
  const median = (list: number[]): number | undefined =>
    list.length ? list[Math.floor((list.length - 1) / 2)] : undefined;
  lines.push(
    '',
    '## Interpretation',
    '',
    `The gateway child spends about ${fmt(median(gatewayCpu), 0)} CPU ms per inference (median ` +
      `over the gateway cells; range ${fmt(gatewayCpu[0], 0)}–${fmt(gatewayCpu[gatewayCpu.length - 1], 0)}), ` +
      `against about ${fmt(median(tritonCpu), 0)} CPU ms per inference for Triton itself on the direct ` +
      'cells. Each request carries a 2 MB FP32 tensor that the gateway receives and forwards to ' +
      'Triton over gRPC, and the answer (1.76 MB of FP32 outputs) comes back the same way. On ' +
      'two shared cores that CPU is taken from the model, so it lowers throughput and, at ' +
      'concurrency 1 where nothing else waits, adds directly to latency. On a machine where ' +
      'Triton runs on its own cores or a GPU, the throughput cost would mostly disappear but the ' +
      'added latency at concurrency 1 would not. Where the gateway reads faster than direct (a ' +
      'negative added latency), it is within the noise of a few-second window on a shared machine.',
  );
  lines.push(...detectSection(results.detect));
  lines.push('', '## Design targets (reported, not asserted)', '');
  for (const protocol of ['http', 'grpc']) {
    const c16 = at(protocol, 16)?.throughputRatio;
    const c1 = at(protocol, 1)?.addedP99Ms;
    lines.push(
      `- ${protocol}: throughput through the gateway ≥ 90% of direct at concurrency 16: ` +
        (c16 === undefined
          ? 'not measured'
          : `${round(c16 * 100, 1)}% → ${c16 >= 0.9 ? 'met' : 'missed'}`) +
        `; added p99 ≤ 2 ms at concurrency 1: ` +
        (c1 === undefined ? 'not measured' : `${c1} ms → ${c1 <= 2 ? 'met' : 'missed'}`) +
        '.',
    );
  }
  lines.push(
    '',
    'p99 from three windows of a few seconds is a handful of the slowest requests at low ' +
      'throughput: read it as indicative. Rerun with `BENCH_WINDOW_MS` larger for steadier tails.',
    '',
  );
  return lines.join('\n');
}

/** The gateway's own detect path on Triton vs embedded, side by side per concurrency. */
function detectSection(cells: readonly DetectCell[]): string[] {
  if (cells.length === 0) return [];
  const lines = [
    '',
    '## Detect (image in, boxes out) through Triton vs embedded',
    '',
    '`POST /v1/models/nanodet/detect` with the five sample images in rotation (closed loop, keep-alive ' +
      'HTTP/1.1): one gateway child on the Triton above, one on the embedded ONNX Runtime backend ' +
      '(same intra-op threads as Triton). The gateway decodes, letterboxes, runs the model, decodes and ' +
      'applies NMS in both; only where the model runs differs.',
    '',
    '| concurrency | backend | images/s | p50 ms | p99 ms | gateway CPU ms/image | errors | Triton ÷ embedded throughput |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const cell of [...cells].sort(
    (a, b) => a.concurrency - b.concurrency || a.backend.localeCompare(b.backend),
  )) {
    const embedded = cells.find(
      (other) => other.backend === 'embedded' && other.concurrency === cell.concurrency,
    );
    const ratio =
      cell.backend === 'triton' && embedded && embedded.imagesPerSecond > 0
        ? fmt(cell.imagesPerSecond / embedded.imagesPerSecond, 3)
        : '';
    lines.push(
      `| ${cell.concurrency} | ${cell.backend} | ${fmt(cell.imagesPerSecond)} | ${fmt(cell.p50Ms)} | ` +
        `${fmt(cell.p99Ms)} | ${fmt(cell.gatewayCpuMsPerImage)} | ${cell.errors} | ${ratio} |`,
    );
  }
  return lines;
}
