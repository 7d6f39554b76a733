/** One decoded frame of a source, as every subscriber receives it (shared: never mutate `image`). */
export interface VideoFrame {
  /** Monotonic per source, across ffmpeg restarts; a gap means frames were dropped before this queue. */
  readonly seq: number;
  /** Wall clock (ms since the epoch) when the frame was read from ffmpeg. */
  readonly captureTimeMs: number;
  /** One JPEG image. */
  readonly image: Buffer;
}

/**
 * What a full queue does with a new frame:
 * - `latest`: keeps only the newest waiting frame (capacity 1); the older one is superseded.
 * - `drop-oldest`: evicts the oldest waiting frame.
 * - `block`: never drops; the source stops reading ffmpeg until there is room (backpressure
 *   through the pipe, pacing the source for every subscriber: meant for files, not live cameras).
 */
export type QueuePolicy = 'latest' | 'drop-oldest' | 'block';

export type QueueOptions =
  { policy: 'latest' } | { policy: 'drop-oldest' | 'block'; capacity: number };

export type QueueDropReason = 'superseded' | 'evicted';

export interface FrameQueueStats {
  policy: QueuePolicy;
  capacity: number;
  queuedFrames: number;
  queuedBytes: number;
  /** The most bytes ever waiting at once: what this consumer cost in memory. */
  peakQueuedBytes: number;
  offered: number;
  delivered: number;
  dropped: Record<QueueDropReason, number>;
}

export interface FrameQueueHooks {
  onDrop?(reason: QueueDropReason): void;
  /** A frame was taken from a full queue: a blocked source may read again. */
  onRoom?(): void;
  /** The consumer closed the queue (or stopped iterating): the source forgets it. */
  onClose?(): void;
}

/** The consumer's side of a queue. */
export interface FrameSubscription extends AsyncIterable<VideoFrame> {
  /** The next frame, waiting for one; undefined once the source ended or closed. */
  take(): Promise<VideoFrame | undefined>;
  /** The next frame if one is waiting. */
  poll(): VideoFrame | undefined;
  stats(): FrameQueueStats;
  /** Stops receiving; waiting frames are released. */
  close(): void;
}

export const MAX_QUEUE_CAPACITY = 1024;

type Waiter = (frame: VideoFrame | undefined) => void;

/**
 * A bounded queue of frames between one source and one consumer: at most `capacity` frames
 * wait, whatever the consumer does, so memory is bounded by capacity × the largest frame.
 * Frames are handed straight to a consumer already waiting in take().
 */
export class BoundedFrameQueue implements FrameSubscription {
  readonly policy: QueuePolicy;
  readonly capacity: number;
  private readonly frames: VideoFrame[] = [];
  private readonly waiters: Waiter[] = [];
  private bytes = 0;
  private peakBytes = 0;
  private offered = 0;
  private delivered = 0;
  private readonly dropped: Record<QueueDropReason, number> = { superseded: 0, evicted: 0 };
  /** No more frames will come; waiting ones may still be taken. */
  private ended = false;
  private closed = false;

  constructor(
    options: QueueOptions,
    private readonly hooks: FrameQueueHooks = {},
  ) {
    this.policy = options.policy;
    this.capacity = options.policy === 'latest' ? 1 : options.capacity;
    if (!Number.isInteger(this.capacity) || this.capacity < 1) {
      throw new RangeError(`capacity must be a whole number from 1 to ${MAX_QUEUE_CAPACITY}`);
    }
    if (this.capacity > MAX_QUEUE_CAPACITY) {
      throw new RangeError(`capacity must be a whole number from 1 to ${MAX_QUEUE_CAPACITY}`);
    }
  }

  /** Whether a frame offered now would wait without displacing another. */
  get hasRoom(): boolean {
    return this.frames.length < this.capacity;
  }

  get isOpen(): boolean {
    return !this.ended && !this.closed;
  }

  offer(frame: VideoFrame): void {
    if (!this.isOpen) return;
    this.offered += 1;
    const waiter = this.waiters.shift();
    if (waiter) {
      this.delivered += 1;
      waiter(frame);
      return;
    }
    if (!this.hasRoom) {
      // `block` should never get here (the source pauses first); evicting keeps the bound anyway.
      this.drop(this.policy === 'latest' ? 'superseded' : 'evicted');
    }
    this.frames.push(frame);
    this.bytes += frame.image.length;
    this.peakBytes = Math.max(this.peakBytes, this.bytes);
  }

  poll(): VideoFrame | undefined {
    const wasFull = !this.hasRoom;
    const frame = this.frames.shift();
    if (!frame) return undefined;
    this.bytes -= frame.image.length;
    this.delivered += 1;
    if (wasFull) this.hooks.onRoom?.();
    return frame;
  }

  take(): Promise<VideoFrame | undefined> {
    const frame = this.poll();
    if (frame || !this.isOpen) return Promise.resolve(frame);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The source will send nothing more: consumers take what waits, then get undefined. */
  end(): void {
    if (!this.isOpen) return;
    this.ended = true;
    this.wakeWaiters();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.frames.length = 0;
    this.bytes = 0;
    this.wakeWaiters();
    this.hooks.onClose?.();
  }

  stats(): FrameQueueStats {
    return {
      policy: this.policy,
      capacity: this.capacity,
      queuedFrames: this.frames.length,
      queuedBytes: this.bytes,
      peakQueuedBytes: this.peakBytes,
      offered: this.offered,
      delivered: this.delivered,
      dropped: { ...this.dropped },
    };
  }

  [Symbol.asyncIterator](): AsyncIterator<VideoFrame> {
    return {
      next: async (): Promise<IteratorResult<VideoFrame>> => {
        const frame = await this.take();
        return frame ? { value: frame, done: false } : { value: undefined, done: true };
      },
      // `break` out of for-await: the consumer is gone, so the source must not wait for it.
      return: (): Promise<IteratorResult<VideoFrame>> => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  private drop(reason: QueueDropReason): void {
    const oldest = this.frames.shift();
    if (!oldest) return;
    this.bytes -= oldest.image.length;
    this.dropped[reason] += 1;
    this.hooks.onDrop?.(reason);
  }

  private wakeWaiters(): void {
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }
}
