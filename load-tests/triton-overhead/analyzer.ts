import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { round } from '../lib/latency-stats';
import { BENCH_API_KEY } from '../lib/bench-credentials';

/** One perf_analyzer run: a model at one address, protocol and concurrency. */
export interface AnalyzerRun {
  model: string;
  address: string;
  protocol: 'http' | 'grpc';
  concurrency: number;
  /** One measurement window; the run is exactly `windows` of them. */
  windowMs: number;
  windows: number;
  /** perf_analyzer's -f CSV is written here. */
  csv: string;
}

export interface AnalyzerOutcome {
  code: number;
  /** The last lines of its output, for a failed run's error. */
  tail: string;
}

/** The perf_analyzer child running now, so a watchdog can kill it. */
export const runningAnalyzer: { child?: ChildProcess } = {};

/**
 * setup-perf.sh: perf_analyzer, Envoy and nginx installed when missing; the path of the wrapper
 * that runs perf_analyzer with its libraries.
 */
export function setUpPerfAnalyzer(): string {
  return execFileSync('bash', [join(__dirname, 'setup-perf.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

export function analyzerArgs(run: AnalyzerRun): string[] {
  return [
    ...['-m', run.model, '-u', run.address, '-i', run.protocol, '-b', '1'],
    ...['--input-data', 'random'],
    ...['--concurrency-range', `${run.concurrency}:${run.concurrency}`],
    ...['--measurement-mode', 'time_windows', '--measurement-interval', String(run.windowMs)],
    // Fixed length: the first `windows` windows always count as stable.
    ...['--stability-percentage', '999', '--max-trials', String(run.windows)],
    ...['--percentile', '99', '-f', run.csv],
    // The gateway needs a credential; Triton and the proxies pass it on or ignore it.
    // perf_analyzer 2.51 sends -H headers as gRPC metadata too (its --help says HTTP only; checked
    // against the gateway).
    ...['-H', `x-api-key:${BENCH_API_KEY}`],
  ];
}

export function runAnalyzer(binary: string, run: AnalyzerRun): Promise<AnalyzerOutcome> {
  return new Promise((resolvePromise) => {
    const child = spawn(binary, analyzerArgs(run), { stdio: ['ignore', 'pipe', 'pipe'] });
    runningAnalyzer.child = child;
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('close', (code) => {
      runningAnalyzer.child = undefined;
      resolvePromise({ code: code ?? 1, tail: output.trim().split('\n').slice(-6).join(' | ') });
    });
  });
}

export interface AnalyzerResult {
  throughput: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  avgMs: number | undefined;
}

/** perf_analyzer's -f CSV: a header line and one line per concurrency; latencies in µs. */
export function parseAnalyzerCsv(path: string): AnalyzerResult {
  const [header, row] = readFileSync(path, 'utf8').trim().split('\n');
  const names = header.split(',');
  const values = row.split(',').map(Number);
  const get = (name: string): number => {
    const at = names.indexOf(name);
    if (at < 0) throw new Error(`perf_analyzer CSV has no column '${name}': ${header}`);
    return values[at];
  };
  const ms = (name: string): number => round(get(name) / 1000, 2);
  // The client/server breakdown columns sum to the mean latency; through a proxy perf_analyzer
  // may get no server statistics, so its CSV has the client columns only and no mean.
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
