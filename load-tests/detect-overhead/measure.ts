import { runClosedLoop } from '../lib/closed-loop';
import { round, summarize, type LatencySummary } from '../lib/latency-stats';
import { cpuSeconds, memory, resetPeakRss } from '@test-support';
import type { BenchPath } from './bench-path';
import type { SampleImage } from './images';
import type { BenchSettings, PathName } from './settings';

/** The process doing the serving work in a cell: the gateway child, or this process in-process. */
export interface ServerProcess {
  kind: 'gateway' | 'benchmark';
  pid: number;
}

/** One path at one concurrency, summed over its slices (one per round). */
export interface CellResult {
  path: PathName;
  concurrency: number;
  slices: number;
  /** Latency samples: requests sent inside the measured windows. */
  samples: number;
  measuredSeconds: number;
  /** Requests answered inside the measured windows; throughput is this over measuredSeconds. */
  completedInWindow: number;
  throughputRps: number;
  latency: LatencySummary;
  /** Latency by image: shows whether a path's cost grows with the payload (73 KB JPEG vs 800 KB PNG). */
  byImage: { image: string; samples: number; p50Ms: number; p99Ms: number }[];
  errors: number;
  errorMessages: string[];
  server: {
    process: ServerProcess['kind'];
    cpuSeconds: number;
    cpuMsPerRequest: number;
    peakRssMiB: number;
    /** How peak RSS was read: reset before each slice, or (if the kernel refused) since start. */
    peakRssScope: 'measured-slices' | 'since-process-start';
  };
  /** CPU of the benchmark process itself: the load generator (and, in-process, the server too). */
  benchmarkProcessCpuSeconds: number;
}

export class CellAccumulator {
  private readonly latenciesMs: number[] = [];
  private readonly byImage = new Map<string, number[]>();
  private slices = 0;
  private windowMs = 0;
  private completed = 0;
  private errors = 0;
  private readonly errorMessages = new Set<string>();
  private serverCpuSeconds = 0;
  private clientCpuSeconds = 0;
  private peakRssMiB = 0;
  private peakReset = true;

  constructor(
    readonly path: PathName,
    readonly concurrency: number,
    private readonly server: ServerProcess,
  ) {}

  /** Runs one slice (warm-up + measured window) of this cell's path and adds it to the cell. */
  async runSlice(
    path: BenchPath,
    images: readonly SampleImage[],
    settings: BenchSettings,
  ): Promise<void> {
    const pid = this.server.pid;
    let serverCpuStart = 0;
    let clientCpuStart = process.cpuUsage();
    const window = { serverCpu: 0, clientCpu: 0, peakRssMiB: 0, peakReset: false };
    const slice = await runClosedLoop({
      concurrency: this.concurrency,
      warmupMs: settings.warmupSeconds * 1000,
      measureMs: settings.sliceSeconds * 1000,
      send: (sequence) => {
        const index = sequence % images.length;
        return path.send(images[index], index);
      },
      // Counters are read at the window edges, not after the drain, so CPU per request is
      // steady-state work divided by steady-state completions.
      onWindowOpen: () => {
        serverCpuStart = cpuSeconds(pid);
        window.peakReset = resetPeakRss(pid);
        clientCpuStart = process.cpuUsage();
      },
      onWindowClose: () => {
        const client = process.cpuUsage(clientCpuStart);
        window.serverCpu = cpuSeconds(pid) - serverCpuStart;
        window.clientCpu = (client.user + client.system) / 1e6;
        window.peakRssMiB = memory(pid).peakRssMiB;
      },
    });
    this.serverCpuSeconds += window.serverCpu;
    this.clientCpuSeconds += window.clientCpu;
    this.peakRssMiB = Math.max(this.peakRssMiB, window.peakRssMiB);
    this.peakReset &&= window.peakReset;
    this.latenciesMs.push(...slice.latenciesMs);
    slice.latenciesMs.forEach((latency, sample) => {
      const image = images[slice.sequences[sample] % images.length].name;
      const list = this.byImage.get(image) ?? [];
      list.push(latency);
      this.byImage.set(image, list);
    });
    this.completed += slice.completedInWindow;
    this.windowMs += slice.windowMs;
    this.errors += slice.errors;
    for (const message of slice.errorMessages) this.errorMessages.add(message);
    this.slices += 1;
  }

  result(): CellResult {
    const stats = summarize(this.latenciesMs);
    const seconds = this.windowMs / 1000;
    return {
      path: this.path,
      concurrency: this.concurrency,
      slices: this.slices,
      samples: stats.count,
      measuredSeconds: round(seconds),
      completedInWindow: this.completed,
      throughputRps: round(this.completed / seconds),
      latency: {
        count: stats.count,
        meanMs: round(stats.meanMs),
        p50Ms: round(stats.p50Ms),
        p90Ms: round(stats.p90Ms),
        p99Ms: round(stats.p99Ms),
        maxMs: round(stats.maxMs),
      },
      byImage: [...this.byImage].map(([image, latencies]) => {
        const summary = summarize(latencies);
        return {
          image,
          samples: summary.count,
          p50Ms: round(summary.p50Ms),
          p99Ms: round(summary.p99Ms),
        };
      }),
      errors: this.errors,
      errorMessages: [...this.errorMessages],
      server: {
        process: this.server.kind,
        cpuSeconds: round(this.serverCpuSeconds),
        cpuMsPerRequest: round((this.serverCpuSeconds * 1000) / this.completed),
        peakRssMiB: round(this.peakRssMiB, 1),
        peakRssScope: this.peakReset ? 'measured-slices' : 'since-process-start',
      },
      benchmarkProcessCpuSeconds: round(this.clientCpuSeconds),
    };
  }
}
