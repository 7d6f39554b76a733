import { round } from '../lib/latency-stats';
import type { DetectCell } from './detect-phase';
import { plotLines, type Panel } from '../lib/plot';
import { FRONTS, type Cell, type Front, type TritonOverheadResults } from './types';

const fmt = (value: number | undefined, digits = 2): string =>
  value === undefined || Number.isNaN(value) ? '–' : String(round(value, digits));

export interface Ratio {
  front: Exclude<Front, 'direct'>;
  protocol: 'http' | 'grpc';
  concurrency: number;
  throughputRatio?: number;
  addedP50Ms?: number;
  addedP99Ms?: number;
  cpuMsPerInfer?: number;
  /** The gateway's CPU per inference ÷ this front's, same protocol and concurrency. */
  gatewayCpuRatio?: number;
}

/** Every front vs direct Triton (and the gateway's CPU vs each proxy's) for the same cell. */
export function ratios(cells: readonly Cell[]): Ratio[] {
  const find = (front: Front, protocol: string, concurrency: number): Cell | undefined =>
    cells.find(
      (cell) =>
        cell.ok &&
        cell.front === front &&
        cell.protocol === protocol &&
        cell.concurrency === concurrency,
    );
  const out: Ratio[] = [];
  for (const cell of cells) {
    if (cell.front === 'direct' || !cell.ok) continue;
    const direct = find('direct', cell.protocol, cell.concurrency);
    const gateway = find('gateway', cell.protocol, cell.concurrency);
    const diff = (pick: (c: Cell) => number | undefined): number | undefined => {
      const [a, b] = [pick(cell), direct && pick(direct)];
      return a === undefined || b === undefined ? undefined : round(a - b, 2);
    };
    const quotient = (a: number | undefined, b: number | undefined): number | undefined =>
      a === undefined || b === undefined || b === 0 ? undefined : round(a / b, 3);
    out.push({
      front: cell.front,
      protocol: cell.protocol,
      concurrency: cell.concurrency,
      throughputRatio: quotient(cell.throughput, direct?.throughput),
      addedP50Ms: diff((c) => c.p50Ms),
      addedP99Ms: diff((c) => c.p99Ms),
      cpuMsPerInfer: cell.frontCpuMsPerInfer,
      gatewayCpuRatio: quotient(gateway?.frontCpuMsPerInfer, cell.frontCpuMsPerInfer),
    });
  }
  return out.sort(
    (a, b) =>
      a.concurrency - b.concurrency ||
      a.protocol.localeCompare(b.protocol) ||
      FRONTS.indexOf(a.front) - FRONTS.indexOf(b.front),
  );
}

const median = (list: number[]): number | undefined => {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : undefined;
};

const ratioOf = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined || b === 0 ? undefined : a / b;

function cpuOf(cells: readonly Cell[], front: Front): number[] {
  return cells
    .filter((cell) => cell.front === front && cell.frontCpuMsPerInfer !== undefined)
    .map((cell) => cell.frontCpuMsPerInfer as number);
}

export function renderMarkdown(results: TritonOverheadResults): string {
  const { machine, settings, versions } = results;
  const lines: string[] = [
    '# triton-overhead',
    '',
    `NVIDIA perf_analyzer (${versions.perfAnalyzer}) against a real Triton ${versions.triton} ` +
      'directly, against the gateway in front of that same Triton (`TRITON_GRPC_URLS`), and against ' +
      `two reference proxies in front of it as plain pass-throughs: Envoy (${versions.envoy}) and ` +
      `nginx (${versions.nginx}; \`proxy_pass\` and \`grpc_pass\`), one worker each, over KServe v2 HTTP ` +
      'and gRPC. Model `nanodet`, batch 1, ' +
      `${String(settings.inputData)} FP32 [3,416,416] input (2 MB in, 1.76 MB out); each cell is ` +
      `${String(settings.windows)} fixed windows of ${String(settings.measurementIntervalMs)} ms ` +
      '(`--measurement-mode time_windows`, stability check off).',
    '',
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.platform}, ` +
      `Node ${machine.node}; commit ${machine.gitCommit.slice(0, 12)}${machine.gitDirty ? ' (dirty)' : ''}; ` +
      `${machine.date}. Load average at start ${machine.loadAverageAtStart.join(' / ')}, at end ` +
      `${results.loadAverageAtEnd.join(' / ')}.`,
    '',
    '**Everything shares the same cores**: Triton (and its Python-backend stub running ONNX ' +
      "Runtime), the front (gateway or proxy) and perf_analyzer itself. A front's CPU therefore " +
      'competes with the model for the same cores, so the throughput ratio at high concurrency ' +
      'measures CPU contention as much as latency. Absolute numbers are for this machine only.',
    '',
    "**CPU per inference** is the front's CPU time (`/proc/<pid>/stat` of the gateway child, or of " +
      'every process of the proxy) over the perf_analyzer run, divided by the inferences Triton ' +
      'completed over the same interval (its `nv_inference_count`): the cost of one inference ' +
      'passing through, whatever part of the run perf_analyzer measured.',
    '',
    '## Results',
    '',
    '| front | protocol | concurrency | infer/s | p50 ms | p90 ms | p99 ms | inferences | front CPU ms/infer | Triton CPU ms/infer | gateway peak RSS MiB |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const sorted = [...results.cells].sort(
    (a, b) =>
      a.concurrency - b.concurrency ||
      a.protocol.localeCompare(b.protocol) ||
      FRONTS.indexOf(a.front) - FRONTS.indexOf(b.front),
  );
  for (const cell of sorted) {
    lines.push(
      `| ${cell.front} | ${cell.protocol} | ${cell.concurrency} | ` +
        (cell.ok
          ? `${fmt(cell.throughput)} | ${fmt(cell.p50Ms)} | ${fmt(cell.p90Ms)} | ${fmt(cell.p99Ms)}`
          : `FAILED | – | – | –`) +
        ` | ${cell.inferencesServed} | ${fmt(cell.frontCpuMsPerInfer)} | ${fmt(cell.tritonCpuMsPerInfer)} | ${fmt(cell.gatewayPeakRssMiB, 1)} |`,
    );
  }
  lines.push(
    '',
    '## Each front vs direct Triton',
    '',
    "| protocol | concurrency | front | throughput ratio | added p50 ms | added p99 ms | CPU ms/infer | gateway CPU ÷ this front's |",
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |',
  );
  const ratioList = ratios(results.cells);
  for (const ratio of ratioList) {
    lines.push(
      `| ${ratio.protocol} | ${ratio.concurrency} | ${ratio.front} | ${fmt(ratio.throughputRatio, 3)} | ` +
        `${fmt(ratio.addedP50Ms)} | ${fmt(ratio.addedP99Ms)} | ${fmt(ratio.cpuMsPerInfer)} | ` +
        `${ratio.front === 'gateway' ? '' : fmt(ratio.gatewayCpuRatio, 2)} |`,
    );
  }
  const at = (front: Front, protocol: string, concurrency: number): Ratio | undefined =>
    ratioList.find(
      (ratio) =>
        ratio.front === front && ratio.protocol === protocol && ratio.concurrency === concurrency,
    );
  const gatewayCpu = cpuOf(results.cells, 'gateway');
  const envoyCpu = cpuOf(results.cells, 'envoy');
  const nginxCpu = cpuOf(results.cells, 'nginx');
  const grpcJsCpu = cpuOf(results.cells, 'grpc-js-floor');
  const http2Cpu = cpuOf(results.cells, 'node-http2-floor');
  const tritonCpu = results.cells
    .filter((cell) => cell.front === 'direct' && cell.tritonCpuMsPerInfer !== undefined)
    .map((cell) => cell.tritonCpuMsPerInfer as number);
  const range = (list: number[]): string =>
    list.length ? `${fmt(Math.min(...list), 1)}–${fmt(Math.max(...list), 1)}` : '–';
  lines.push(
    '',
    '## Interpretation',
    '',
    `CPU per forwarded inference, median over cells (range): gateway ${fmt(median(gatewayCpu), 1)} ms ` +
      `(${range(gatewayCpu)}), Envoy ${fmt(median(envoyCpu), 1)} ms (${range(envoyCpu)}), nginx ` +
      `${fmt(median(nginxCpu), 1)} ms (${range(nginxCpu)}); Triton itself spends ` +
      `${fmt(median(tritonCpu), 0)} ms per inference on the model. Every front receives 2 MB and ` +
      'sends it on, then does the same with the 1.76 MB answer; the proxies do no more than that, ' +
      'the gateway also authenticates, rate-limits, routes, admits, validates the tensors against ' +
      "the model and counts. On two shared cores a front's CPU is taken from the model, so it lowers " +
      'throughput and, at concurrency 1 where nothing else waits, adds to latency. Where a front ' +
      'reads faster than direct (a negative added latency), it is within the noise of a few-second ' +
      'window on a shared machine.',
    '',
    `The two floors (gRPC only) say what part is Node.js's: a bare @grpc/grpc-js pass-through that ` +
      `decodes nothing spends ${fmt(median(grpcJsCpu), 1)} ms (${range(grpcJsCpu)}), a bare ` +
      `node:http2 pipe with no gRPC library ${fmt(median(http2Cpu), 1)} ms (${range(http2Cpu)}). ` +
      'grpc-js gathers every received message into one buffer and copies every sent one into a ' +
      'framed buffer, four copies of a few MB per forwarded inference, and the garbage collection ' +
      'those buffers cause; the pipe forwards DATA frames as they arrive.',
  );
  lines.push(...detectSection(results.detect));
  lines.push('', '## Design targets (reported, not asserted)', '');
  const medianGateway = median(gatewayCpu);
  lines.push(
    `- Gateway CPU per forwarded inference ≤ 2 ms: median ${fmt(medianGateway)} ms → ` +
      `${medianGateway !== undefined && medianGateway <= 2 ? 'met' : 'missed'}.`,
  );
  const envoyRatios = ratioList
    .filter((ratio) => ratio.front === 'envoy' && ratio.gatewayCpuRatio !== undefined)
    .map((ratio) => ratio.gatewayCpuRatio as number);
  const envoyRatio = median(envoyRatios);
  lines.push(
    `- Gateway CPU ≤ 2× Envoy's in the same cell: median ${fmt(envoyRatio)}× (${range(envoyRatios)}) → ` +
      `${envoyRatio !== undefined && envoyRatio <= 2 ? 'met' : 'missed'}; the grpc-js floor alone is ` +
      `${fmt(ratioOf(median(grpcJsCpu), median(envoyCpu)))}× Envoy, the node:http2 floor ` +
      `${fmt(ratioOf(median(http2Cpu), median(envoyCpu)))}×.`,
  );
  for (const protocol of ['grpc', 'http']) {
    const p50 = at('gateway', protocol, 1)?.addedP50Ms;
    const c16 = at('gateway', protocol, 16)?.throughputRatio;
    lines.push(
      `- ${protocol}: added p50 at concurrency 1 ≤ 2 ms: ` +
        (p50 === undefined ? 'not measured' : `${p50} ms → ${p50 <= 2 ? 'met' : 'missed'}`) +
        '; throughput at concurrency 16 ≥ 0.97× direct: ' +
        (c16 === undefined ? 'not measured' : `${c16}× → ${c16 >= 0.97 ? 'met' : 'missed'}`) +
        ` (Envoy ${fmt(at('envoy', protocol, 16)?.throughputRatio, 3)}×, nginx ` +
        `${fmt(at('nginx', protocol, 16)?.throughputRatio, 3)}×).`,
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

/** CPU per inference and added p50 per front, by concurrency: one panel per protocol and measure. */
export function plotResults(results: TritonOverheadResults, output: string): void {
  const panels: Panel[] = [];
  for (const protocol of ['grpc', 'http'] as const) {
    const series = (measure: (cell: Cell) => number | undefined, fronts: readonly Front[]) =>
      fronts.map((front) => {
        const points = results.cells
          .filter((cell) => cell.ok && cell.front === front && cell.protocol === protocol)
          .map((cell) => [cell.concurrency, measure(cell)] as const)
          .filter((point): point is readonly [number, number] => point[1] !== undefined)
          .sort((a, b) => a[0] - b[0]);
        return { label: front, x: points.map((p) => p[0]), y: points.map((p) => p[1]) };
      });
    panels.push(
      {
        title: `${protocol}: front CPU per forwarded inference`,
        xlabel: 'concurrency',
        ylabel: 'CPU ms / inference',
        logx2: true,
        // Every front in every panel (direct has no front CPU), so each keeps its colour.
        series: series((cell) => cell.frontCpuMsPerInfer, FRONTS),
      },
      {
        title: `${protocol}: throughput`,
        xlabel: 'concurrency',
        ylabel: 'inferences / s',
        logx2: true,
        series: series((cell) => cell.throughput, FRONTS),
      },
    );
  }
  plotLines(output, 'nanodet through the gateway, Envoy and nginx vs direct Triton', panels);
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
