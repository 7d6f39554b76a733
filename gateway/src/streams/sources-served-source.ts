import { create } from '@bufbuild/protobuf';
import type { LoggerService } from '@nestjs/common';
import {
  SourceSchema,
  type FrameResult,
  type Source,
} from '@contracts/generated/vision/v1/streams_pb';
import type { StreamSettings } from '../config/gateway-config';
import type { Caller } from '../request-path/caller';
import {
  redactUrlCredentials,
  VideoSource,
  type FrameSubscription,
  type SourceStateChange,
  type VideoSourceState,
} from '../sources';
import type { FramePipeline } from './frame-pipeline';
import { FrameServing } from './frame-serving';
import { withFrameOutcomes } from './sources-frame-outcomes';
import type { SourceMetrics } from './sources-metrics';
import type { AddSourcePlan } from './sources-request';
import { SourceWatcher, type WatchCall, type WatcherStats } from './sources-watcher';
import type { StreamMetrics } from './stream-metrics';

export interface ServedSourceDeps {
  pipeline: FramePipeline;
  metrics: StreamMetrics;
  sourceMetrics: SourceMetrics;
  settings: StreamSettings;
  /** Bytes a watcher may have written and not yet taken before its results wait. */
  maxUnsentBytes: number;
  logger: LoggerService;
}

/** Source.state names: `idle` (created, not started) reads as starting. */
const STATE_NAME: Record<VideoSourceState, string> = {
  idle: 'starting',
  starting: 'starting',
  running: 'running',
  backoff: 'backoff',
  ended: 'ended',
  closed: 'closed',
};

/**
 * One server-pulled source: ffmpeg (VideoSource) → a `latest` subscription → FrameServing, as
 * if a camera streamed to the gateway as the admin who added it; each result fans out to the
 * watchers. The sink is always ready: watchers have bounded queues of their own, so none slows
 * the source. With no watcher the source still runs (its tracks stay warm) and results are
 * simply not kept.
 */
export class ServedSource {
  readonly id: string;
  /** As the caller gave it, with any user and password replaced. */
  readonly url: string;
  private readonly video: VideoSource;
  private readonly serving: FrameServing;
  private readonly abort = new AbortController();
  /** Each watcher with what to run when its watch is over. */
  private readonly watchers = new Map<SourceWatcher, () => void>();
  private readonly counts = { served: 0, failed: 0, dropped: 0 };
  private sourceDrops = 0;
  private closing?: Promise<void>;

  constructor(
    plan: AddSourcePlan,
    caller: Caller,
    private readonly deps: ServedSourceDeps,
  ) {
    this.id = plan.id;
    this.url = redactUrlCredentials(plan.url);
    this.video = new VideoSource(plan.description, { ffmpegPath: deps.settings.ffmpegPath });
    const id = plan.id;
    this.serving = new FrameServing({
      config: plan.config,
      call: {
        caller,
        priority: 'realtime',
        images: 1,
        // Sticky routing by camera sees the source as the camera it is.
        header: (name) => (name === 'x-camera-id' ? id : undefined),
      },
      pipeline: deps.pipeline,
      metrics: withFrameOutcomes(deps.metrics, (outcome, value) => this.count(outcome, value)),
      settings: deps.settings,
      signal: this.abort.signal,
      sink: { write: (result) => this.fanOut(result), ready: () => true },
    });
  }

  /** ffmpeg's process id while one runs. */
  get pid(): number | undefined {
    return this.video.pid;
  }

  start(): void {
    this.deps.sourceMetrics.open(this.id);
    this.video.onStateChange((change) => this.onState(change));
    const subscription = this.video.subscribe({ policy: 'latest' });
    this.video.start();
    void this.read(subscription);
  }

  /**
   * A new watcher, from the next result on; on a source that already ended the call ends at
   * once (OK). `onEnd` runs once when the watch is over, whoever ends it.
   */
  watch(call: WatchCall, onEnd: () => void): SourceWatcher {
    const watcher = new SourceWatcher(call, this.deps.maxUnsentBytes);
    if (this.video.state === 'ended' || this.closing) {
      watcher.end();
      onEnd();
      return watcher;
    }
    this.watchers.set(watcher, onEnd);
    return watcher;
  }

  /** The watcher's client went away. */
  unwatch(watcher: SourceWatcher): void {
    watcher.detach();
    this.release(watcher);
  }

  watcherStats(): WatcherStats[] {
    return [...this.watchers.keys()].map((watcher) => watcher.stats());
  }

  describe(): Source {
    const stats = this.video.stats();
    this.syncSourceDrops();
    return create(SourceSchema, {
      id: this.id,
      url: this.url,
      state: STATE_NAME[stats.state],
      lastError: stats.lastError ?? '',
      framesRead: BigInt(stats.framesRead),
      framesServed: BigInt(this.counts.served),
      framesDropped: BigInt(this.counts.dropped + this.sourceDrops),
      restarts: stats.restarts,
      subscribers: this.watchers.size,
    });
  }

  /** Stops for good: nothing more is served, watchers end (OK), ffmpeg is gone when it resolves. */
  close(): Promise<void> {
    if (!this.closing) {
      this.abort.abort();
      this.serving.stop();
      this.closing = this.video.close();
      this.endWatchers();
    }
    return this.closing;
  }

  private async read(subscription: FrameSubscription): Promise<void> {
    for await (const frame of subscription) {
      if (this.abort.signal.aborted) break;
      const arrivedAt = Date.now();
      this.serving.offer({
        cameraId: this.id,
        seq: BigInt(frame.seq),
        captureTimeMs: frame.captureTimeMs,
        image: frame.image,
        arrivedAt,
        deadline: arrivedAt + this.serving.frameDeadlineMs,
      });
      this.syncSourceDrops();
    }
    if (this.abort.signal.aborted) return;
    // The file ended: the frames still waiting are served (or dropped) before watchers end.
    const aborted = new Promise<void>((resolve) =>
      this.abort.signal.addEventListener('abort', () => resolve(), { once: true }),
    );
    await Promise.race([this.serving.finished(), aborted]);
    this.endWatchers();
  }

  private fanOut(result: FrameResult): void {
    for (const watcher of this.watchers.keys()) watcher.push(result);
  }

  private count(outcome: string, value: number): void {
    if (outcome === 'served' || outcome === 'failed' || outcome === 'dropped') {
      this.counts[outcome] += value;
      this.deps.sourceMetrics.frames.inc({ source: this.id, outcome }, value);
    }
  }

  /** Frames lost before FrameServing saw them (a malformed JPEG, a frame superseded in a burst). */
  private syncSourceDrops(): void {
    const { dropped } = this.video.stats();
    const total = dropped.oversized + dropped.malformed + dropped.superseded + dropped.evicted;
    if (total === this.sourceDrops) return;
    this.deps.sourceMetrics.frames.inc(
      { source: this.id, outcome: 'dropped' },
      total - this.sourceDrops,
    );
    this.sourceDrops = total;
  }

  private onState(change: SourceStateChange): void {
    const { sourceMetrics } = this.deps;
    if (change.state === 'starting' && change.previous === 'backoff') {
      sourceMetrics.restarts.inc({ source: this.id });
    }
    // One line per failed run: restarts back off, so a source that keeps failing logs rarely.
    if (change.state === 'backoff') {
      this.deps.logger.warn(
        `source '${this.id}' stopped (${change.error ?? 'unknown'}); restarting in ${change.retryInMs ?? 0} ms`,
      );
    }
    if (change.state === 'ended') this.deps.logger.log(`source '${this.id}' reached its end`);
    sourceMetrics.up.set({ source: this.id }, change.state === 'running' ? 1 : 0);
  }

  private endWatchers(): void {
    for (const watcher of [...this.watchers.keys()]) {
      watcher.end();
      this.release(watcher);
    }
  }

  private release(watcher: SourceWatcher): void {
    const onEnd = this.watchers.get(watcher);
    this.watchers.delete(watcher);
    onEnd?.();
  }
}
