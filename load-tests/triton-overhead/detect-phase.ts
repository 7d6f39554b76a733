import { runClosedLoop } from '../lib/closed-loop';
import { round, summarize } from '../lib/latency-stats';
import { cpuSeconds } from '@test-support';
import { createGatewayPaths } from '../detect-overhead/gateway-paths';
import type { SampleImage } from '../detect-overhead/images';

/** A gateway child to drive, and which backend serves its models. */
export interface DetectTarget {
  backend: 'triton' | 'embedded';
  httpUrl: string;
  grpcAddress: string;
  pid: number;
}

/** The gateway's own detect path (image in, boxes out) over REST at one concurrency. */
export interface DetectCell {
  backend: DetectTarget['backend'];
  concurrency: number;
  imagesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  errorMessages: string[];
  /** Gateway child CPU per image over the window (decode, letterbox, forward, decode + NMS). */
  gatewayCpuMsPerImage: number;
}

/**
 * Detect through the gateway on Triton vs on the embedded ONNX Runtime backend, same images, same
 * closed-loop load, alternating per concurrency so machine drift spreads over both.
 */
export async function measureDetect(
  targets: readonly DetectTarget[],
  images: readonly SampleImage[],
  concurrencies: readonly number[],
  windowMs: number,
): Promise<DetectCell[]> {
  const cells: DetectCell[] = [];
  for (const [index, concurrency] of concurrencies.entries()) {
    const order = index % 2 === 0 ? targets : [...targets].reverse();
    for (const target of order) {
      const paths = createGatewayPaths(target.httpUrl, target.grpcAddress, 60_000);
      let cpuAtOpen = 0;
      let cpuAtClose = 0;
      try {
        const result = await runClosedLoop({
          concurrency,
          warmupMs: Math.min(3000, windowMs),
          measureMs: windowMs,
          send: (sequence) => paths.http.send(images[sequence % images.length], sequence),
          onWindowOpen: () => (cpuAtOpen = cpuSeconds(target.pid)),
          onWindowClose: () => (cpuAtClose = cpuSeconds(target.pid)),
        });
        const latency = summarize(result.latenciesMs);
        const imagesPerSecond = result.completedInWindow / (result.windowMs / 1000);
        cells.push({
          backend: target.backend,
          concurrency,
          imagesPerSecond: round(imagesPerSecond, 2),
          p50Ms: round(latency.p50Ms, 2),
          p99Ms: round(latency.p99Ms, 2),
          errors: result.errors,
          errorMessages: result.errorMessages,
          gatewayCpuMsPerImage: round(
            ((cpuAtClose - cpuAtOpen) * 1000) / Math.max(1, result.completedInWindow),
            2,
          ),
        });
        console.log(
          `detect ${target.backend} c=${concurrency}: ${round(imagesPerSecond, 2)} img/s ` +
            `p50 ${round(latency.p50Ms, 2)} p99 ${round(latency.p99Ms, 2)} ms`,
        );
      } finally {
        paths.close();
      }
    }
  }
  return cells;
}
