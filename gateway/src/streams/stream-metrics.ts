import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { GatewayMetrics } from '../metrics/gateway-metrics';

/** Frame latencies from arrival to answer: a real-time frame is useful within a few hundred ms. */
const FRAME_SECONDS = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10, 60];

/**
 * Camera stream series. Labels are bounded: outcomes and drop reasons are enums, models are only
 * those a frame was served by (resolved targets), stages the fixed list of frame-pipeline.ts.
 */
@Injectable()
export class StreamMetrics {
  readonly openStreams: Gauge<'kind'>;
  readonly frames: Counter<'outcome'>;
  readonly droppedFrames: Counter<'reason'>;
  readonly frameDuration: Histogram<'model'>;
  readonly stageDuration: Histogram<'stage'>;
  readonly reidFailures: Counter;

  constructor(metrics: GatewayMetrics) {
    const registers = [metrics.registry];
    this.openStreams = new Gauge({
      name: 'gateway_streams_open',
      help: 'Open camera streams: track (StreamTrack) and watch (WatchSource subscribers).',
      labelNames: ['kind'],
      registers,
    });
    this.frames = new Counter({
      name: 'gateway_stream_frames_total',
      help: 'Camera frames by outcome: served, dropped (by backpressure, deadline or limits) or failed (answered with an error).',
      labelNames: ['outcome'],
      registers,
    });
    this.droppedFrames = new Counter({
      name: 'gateway_stream_frames_dropped_total',
      help: 'Camera frames dropped, by reason (replaced, queue_full, deadline, rate_limited, overloaded).',
      labelNames: ['reason'],
      registers,
    });
    this.frameDuration = new Histogram({
      name: 'gateway_stream_frame_duration_seconds',
      help: 'From a frame arriving to its result being written, for served frames.',
      labelNames: ['model'],
      buckets: FRAME_SECONDS,
      registers,
    });
    this.stageDuration = new Histogram({
      name: 'gateway_stream_stage_duration_seconds',
      help: 'Time of the per-frame stages after detection (track, reidentify, forecast).',
      labelNames: ['stage'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers,
    });
    this.reidFailures = new Counter({
      name: 'gateway_stream_reid_failures_total',
      help: 'Frames whose re-identification embeddings failed (the frame was answered with the global ids its tracks had).',
      registers,
    });
  }
}
