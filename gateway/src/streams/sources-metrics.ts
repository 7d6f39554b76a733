import { Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { GatewayMetrics } from '../metrics/gateway-metrics';

/** What became of each frame a source read. */
export const SOURCE_FRAME_OUTCOMES = ['served', 'failed', 'dropped'] as const;
export type SourceFrameOutcome = (typeof SOURCE_FRAME_OUTCOMES)[number];

/**
 * Per-source series. The `source` label is a source id: admin-chosen, at most GATEWAY_SOURCES_MAX
 * at a time, and a removed source's series are removed with it, so the label stays bounded.
 */
@Injectable()
export class SourceMetrics {
  readonly frames: Counter<'source' | 'outcome'>;
  readonly restarts: Counter<'source'>;
  readonly up: Gauge<'source'>;

  constructor(metrics: GatewayMetrics) {
    const registers = [metrics.registry];
    this.frames = new Counter({
      name: 'gateway_source_frames_total',
      help: 'Frames of a server-pulled source by outcome: served, failed (answered with an error) or dropped (by the source, backpressure, deadline or limits).',
      labelNames: ['source', 'outcome'],
      registers,
    });
    this.restarts = new Counter({
      name: 'gateway_source_restarts_total',
      help: 'ffmpeg restarts of a server-pulled source (after an exit, a failed start or a stall).',
      labelNames: ['source'],
      registers,
    });
    this.up = new Gauge({
      name: 'gateway_source_up',
      help: 'Whether a server-pulled source is running (frames arriving): 1, else 0.',
      labelNames: ['source'],
      registers,
    });
  }

  /** A new source's series, at zero, so they show before its first frame. */
  open(source: string): void {
    for (const outcome of SOURCE_FRAME_OUTCOMES) this.frames.inc({ source, outcome }, 0);
    this.restarts.inc({ source }, 0);
    this.up.set({ source }, 0);
  }

  /** A removed source's series go with it. */
  forget(source: string): void {
    for (const outcome of SOURCE_FRAME_OUTCOMES) this.frames.remove({ source, outcome });
    this.restarts.remove({ source });
    this.up.remove({ source });
  }
}
