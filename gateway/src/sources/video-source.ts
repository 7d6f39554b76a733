import {
  BoundedFrameQueue,
  type FrameSubscription,
  type QueueDropReason,
  type QueueOptions,
  type VideoFrame,
} from './bounded-frame-queue';
import {
  FfmpegFrameReader,
  type FfmpegExit,
  type FfmpegReaderSettings,
} from './ffmpeg-frame-reader';
import type { SplitDropReason } from './jpeg-frame-splitter';
import { DEFAULT_BACKOFF, RestartBackoff, type BackoffSettings } from './restart-backoff';
import {
  validateSourceDescription,
  type SourceDescription,
  type SourceValidationOptions,
  type ValidatedSource,
} from './source-description';

/**
 * - `idle`: created, not started.
 * - `starting`: ffmpeg spawned, no frame yet.
 * - `running`: frames arriving.
 * - `backoff`: ffmpeg exited, failed to start or stalled; a restart is scheduled.
 * - `ended`: a non-looping file reached its end (final; subscribers drain what waits).
 * - `closed`: close() was called (final).
 */
export type VideoSourceState = 'idle' | 'starting' | 'running' | 'backoff' | 'ended' | 'closed';

export type FrameDropReason = SplitDropReason | QueueDropReason;

export interface VideoSourceSettings extends FfmpegReaderSettings {
  /** A run with no frame for this long (while not paused by a `block` subscriber) is restarted. */
  stallTimeoutMs: number;
  backoff: BackoffSettings;
}

export interface VideoSourceOptions extends SourceValidationOptions {
  ffmpegPath?: string;
  /** A JPEG larger than this is dropped (counted as `oversized`). */
  maxFrameBytes?: number;
  stallTimeoutMs?: number;
  /** Socket timeout for network inputs, handed to ffmpeg. */
  ioTimeoutMs?: number;
  killGraceMs?: number;
  stderrTailBytes?: number;
  backoff?: Partial<BackoffSettings>;
}

export const DEFAULT_SOURCE_SETTINGS: Readonly<VideoSourceSettings> = {
  ffmpegPath: 'ffmpeg',
  maxFrameBytes: 8 * 1024 * 1024,
  stallTimeoutMs: 10_000,
  ioTimeoutMs: 5_000,
  killGraceMs: 2_000,
  stderrTailBytes: 4_096,
  backoff: DEFAULT_BACKOFF,
};

export interface SourceStateChange {
  state: VideoSourceState;
  previous: VideoSourceState;
  /** Entering `backoff`: why the run ended. */
  error?: string;
  /** Entering `backoff`: the wait before the restart. */
  retryInMs?: number;
}

/** Counters are monotonic over the source's life (all runs, all subscribers ever). */
export interface VideoSourceStats {
  state: VideoSourceState;
  /** ffmpeg's process id while one runs. */
  pid: number | undefined;
  framesRead: number;
  /** Bytes ffmpeg wrote to its stdout. */
  bytesRead: number;
  /** Bytes of the frames cut out of them. */
  frameBytes: number;
  /** ffmpeg runs started after the first. */
  restarts: number;
  /** Failed runs in a row; 0 once a run has delivered frames for backoff.healthyRunMs. */
  consecutiveFailures: number;
  /**
   * Frames lost, by reason: `oversized`/`malformed` once per source (the JPEG splitter),
   * `superseded`/`evicted` once per subscriber that lost the frame (summed over subscribers).
   */
  dropped: Record<FrameDropReason, number>;
  /** Times a `block` subscriber paused reading. */
  backpressurePauses: number;
  subscribers: number;
  queuedFrames: number;
  queuedBytes: number;
  lastError: string | undefined;
}

export type StateListener = (change: SourceStateChange) => void;

/** Lines of ffmpeg's stderr kept in lastError: its last lines say why it stopped. */
const ERROR_LINES = 3;

/**
 * A server-pulled video: one ffmpeg child at a time decoding `description` into JPEG frames,
 * fanned out to subscribers, each through its own bounded queue. A run that exits, fails to
 * start or stalls is restarted after an exponential backoff; a non-looping file that ends is
 * `ended`. close() kills the child and resolves once it is gone.
 */
export class VideoSource {
  readonly description: ValidatedSource;
  private readonly settings: VideoSourceSettings;
  private readonly backoff: RestartBackoff;
  private current: VideoSourceState = 'idle';
  private reader: FfmpegFrameReader | undefined;
  private queues: BoundedFrameQueue[] = [];
  private readonly listeners = new Set<StateListener>();
  private restartTimer: NodeJS.Timeout | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private stallError: string | undefined;
  private firstFrameAt: number | undefined;
  private closing: Promise<void> | undefined;
  private nextSeq = 0;
  private error: string | undefined;
  private readonly counters = {
    framesRead: 0,
    bytesReadBefore: 0,
    frameBytes: 0,
    restarts: 0,
    backpressurePauses: 0,
    dropped: { oversized: 0, malformed: 0, superseded: 0, evicted: 0 } as Record<
      FrameDropReason,
      number
    >,
  };

  /** Validates the description (throws InvalidSourceError naming the field); starts nothing. */
  constructor(description: SourceDescription, options: VideoSourceOptions = {}) {
    this.description = validateSourceDescription(description, options);
    this.settings = settingsFrom(options);
    this.backoff = new RestartBackoff(this.settings.backoff);
  }

  get state(): VideoSourceState {
    return this.current;
  }

  /** Why the last run failed (ffmpeg's last stderr lines, credentials redacted). */
  get lastError(): string | undefined {
    return this.error;
  }

  get pid(): number | undefined {
    return this.reader?.pid;
  }

  /** Spawns ffmpeg; only from `idle` (later calls do nothing). */
  start(): void {
    if (this.current === 'idle') this.launch();
  }

  /**
   * A new consumer with its own bounded queue. Subscribing to an ended or closed source gives a
   * subscription that is already over. Throws RangeError for a bad capacity.
   */
  subscribe(options: QueueOptions): FrameSubscription {
    const queue: BoundedFrameQueue = new BoundedFrameQueue(options, {
      onDrop: (reason) => (this.counters.dropped[reason] += 1),
      onRoom: () => this.applyBackpressure(),
      onClose: () => this.forget(queue),
    });
    if (this.current === 'ended' || this.current === 'closed') queue.end();
    else this.queues.push(queue);
    return queue;
  }

  /** Calls `listener` on every state change; returns the function that removes it. */
  onStateChange(listener: StateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stats(): VideoSourceStats {
    let queuedFrames = 0;
    let queuedBytes = 0;
    for (const queue of this.queues) {
      const { queuedFrames: frames, queuedBytes: bytes } = queue.stats();
      queuedFrames += frames;
      queuedBytes += bytes;
    }
    return {
      state: this.current,
      pid: this.pid,
      framesRead: this.counters.framesRead,
      bytesRead: this.counters.bytesReadBefore + (this.reader?.stats().bytesRead ?? 0),
      frameBytes: this.counters.frameBytes,
      restarts: this.counters.restarts,
      consecutiveFailures: this.provenHealthy() ? 0 : this.backoff.failures,
      dropped: { ...this.counters.dropped },
      backpressurePauses: this.counters.backpressurePauses,
      subscribers: this.queues.filter((queue) => queue.isOpen).length,
      queuedFrames,
      queuedBytes,
      lastError: this.error,
    };
  }

  /** Stops for good: cancels a pending restart, ends subscriptions, kills ffmpeg and waits for it. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    const reader = this.detachReader();
    clearTimeout(this.restartTimer);
    for (const queue of this.queues.splice(0)) queue.close();
    this.setState('closed');
    this.closing = reader ? reader.stop().then(() => undefined) : Promise.resolve();
    return this.closing;
  }

  /** Whether the current run has delivered frames long enough to forget earlier failures. */
  private provenHealthy(): boolean {
    const since = this.reader && this.firstFrameAt;
    return since !== undefined && Date.now() - since >= this.settings.backoff.healthyRunMs;
  }

  private launch(): void {
    this.restartTimer = undefined;
    this.stallError = undefined;
    this.firstFrameAt = undefined;
    let reader: FfmpegFrameReader;
    try {
      reader = new FfmpegFrameReader(this.description, this.settings, {
        onFrame: (image) => this.onFrame(reader, image),
        onDrop: (reason) => (this.counters.dropped[reason] += 1),
        onExit: (exit) => this.onExit(reader, exit),
      });
    } catch (error) {
      // spawn() throws synchronously only for bad arguments; treated like a failed start.
      this.setState('starting');
      this.scheduleRestart(`ffmpeg could not start: ${String(error)}`);
      return;
    }
    this.reader = reader;
    this.setState('starting');
    this.armStallTimer();
  }

  private onFrame(reader: FfmpegFrameReader, image: Buffer): void {
    if (reader !== this.reader) return;
    const now = Date.now();
    this.counters.framesRead += 1;
    this.counters.frameBytes += image.length;
    this.stallTimer?.refresh();
    const frame: VideoFrame = { seq: this.nextSeq++, captureTimeMs: now, image };
    if (this.current === 'starting') {
      this.firstFrameAt = now;
      this.setState('running');
      if (reader !== this.reader) return; // a listener closed the source
    }
    for (const queue of this.queues) queue.offer(frame);
    this.applyBackpressure();
  }

  /** Pauses reading while a `block` subscriber is full, resumes once all have room. */
  private applyBackpressure(): void {
    const reader = this.reader;
    if (!reader) return;
    const blocked = this.queues.some((queue) => queue.policy === 'block' && !queue.hasRoom);
    if (blocked && !reader.paused) {
      this.counters.backpressurePauses += 1;
      // No frame is expected while paused: that is not a stall.
      this.disarmStallTimer();
      reader.pause();
    } else if (!blocked && reader.paused) {
      this.armStallTimer();
      reader.resume();
    }
  }

  private onExit(reader: FfmpegFrameReader, exit: FfmpegExit): void {
    if (reader !== this.reader) return;
    this.detachReader();
    const { input, loop } = this.description;
    if (this.stallError === undefined && exit.code === 0 && input.kind === 'file' && !loop) {
      for (const queue of this.queues) queue.end();
      this.setState('ended');
      return;
    }
    this.scheduleRestart(describeExit(exit, this.stallError));
  }

  private scheduleRestart(error: string): void {
    this.error = error;
    const deliveringForMs = this.firstFrameAt === undefined ? 0 : Date.now() - this.firstFrameAt;
    const retryInMs = this.backoff.failed(deliveringForMs);
    this.restartTimer = setTimeout(() => {
      this.counters.restarts += 1;
      this.launch();
    }, retryInMs);
    this.setState('backoff', { error, retryInMs });
  }

  private onStall(): void {
    const reader = this.reader;
    if (!reader) return;
    this.stallError = `stalled: no frame for ${this.settings.stallTimeoutMs} ms`;
    // Killed outright: a hung ffmpeg ignores the first SIGTERM while blocked reading a socket.
    void reader.stop(true);
  }

  private armStallTimer(): void {
    this.disarmStallTimer();
    this.stallTimer = setTimeout(() => this.onStall(), this.settings.stallTimeoutMs);
  }

  private disarmStallTimer(): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
  }

  /** Forgets the current reader (its later events are ignored) and keeps its byte count. */
  private detachReader(): FfmpegFrameReader | undefined {
    const reader = this.reader;
    this.reader = undefined;
    this.disarmStallTimer();
    if (reader) this.counters.bytesReadBefore += reader.stats().bytesRead;
    return reader;
  }

  private forget(queue: BoundedFrameQueue): void {
    const at = this.queues.indexOf(queue);
    if (at < 0) return;
    this.queues.splice(at, 1);
    this.applyBackpressure();
  }

  private setState(state: VideoSourceState, details: Partial<SourceStateChange> = {}): void {
    const previous = this.current;
    if (state === previous) return;
    this.current = state;
    for (const listener of [...this.listeners]) {
      try {
        listener({ ...details, state, previous });
      } catch (error) {
        // One subscriber's bug must not stop the source or the other listeners.
        process.emitWarning(`video source state listener threw: ${String(error)}`);
      }
    }
  }
}

function describeExit(exit: FfmpegExit, stallError: string | undefined): string {
  let summary: string;
  if (exit.spawnError !== undefined) summary = `ffmpeg could not start: ${exit.spawnError}`;
  else if (stallError !== undefined) summary = stallError;
  else if (exit.signal !== null) summary = `ffmpeg was killed by ${exit.signal}`;
  else if (exit.code === 0) summary = 'the stream ended';
  else summary = `ffmpeg exited with code ${String(exit.code)}`;
  const said = exit.stderrTail.split('\n').slice(-ERROR_LINES).join('\n');
  return said === '' ? summary : `${summary}: ${said}`;
}

function settingsFrom(options: VideoSourceOptions): VideoSourceSettings {
  const defaults = DEFAULT_SOURCE_SETTINGS;
  return {
    ffmpegPath: options.ffmpegPath ?? defaults.ffmpegPath,
    maxFrameBytes: positive('maxFrameBytes', options.maxFrameBytes ?? defaults.maxFrameBytes),
    stallTimeoutMs: positive('stallTimeoutMs', options.stallTimeoutMs ?? defaults.stallTimeoutMs),
    ioTimeoutMs: positive('ioTimeoutMs', options.ioTimeoutMs ?? defaults.ioTimeoutMs),
    killGraceMs: positive('killGraceMs', options.killGraceMs ?? defaults.killGraceMs),
    stderrTailBytes: positive(
      'stderrTailBytes',
      options.stderrTailBytes ?? defaults.stderrTailBytes,
    ),
    backoff: {
      initialMs: options.backoff?.initialMs ?? defaults.backoff.initialMs,
      maxMs: options.backoff?.maxMs ?? defaults.backoff.maxMs,
      healthyRunMs: options.backoff?.healthyRunMs ?? defaults.backoff.healthyRunMs,
      jitterRatio: options.backoff?.jitterRatio ?? defaults.backoff.jitterRatio,
    },
  };
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be positive`);
  return value;
}
