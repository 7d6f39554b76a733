import { DropReason } from '@contracts/generated/vision/v1/streams_pb';

export type BackpressurePolicyName = 'latest' | 'drop-oldest' | 'block';

/**
 * Frames waiting to be served on one stream, bounded by `capacity` (1 under `latest`). A frame that
 * cannot stay is handed to `dropped` with why; `block` never drops for room (its reader stops
 * reading when full), but a frame grpc-js had already read when reading stopped still fits: up to
 * `capacity + BLOCK_SLACK`, then the oldest goes like `drop-oldest` (never expected).
 */
export class FrameQueue<T> {
  private readonly items: T[] = [];

  constructor(
    private readonly policy: BackpressurePolicyName,
    private readonly capacity: number,
    private readonly dropped: (item: T, reason: DropReason) => void,
  ) {}

  get length(): number {
    return this.items.length;
  }

  /** Whether a `block` stream should stop reading. */
  get full(): boolean {
    return this.items.length >= this.capacity;
  }

  push(item: T): void {
    const room = this.policy === 'block' ? this.capacity + BLOCK_SLACK : this.capacity;
    while (this.items.length >= room) {
      const oldest = this.items.shift() as T;
      this.dropped(oldest, this.policy === 'latest' ? DropReason.REPLACED : DropReason.QUEUE_FULL);
    }
    this.items.push(item);
  }

  shift(): T | undefined {
    return this.items.shift();
  }

  /** Empties the queue, handing each waiting frame to `dropped` with `reason`. */
  drain(reason: DropReason): void {
    for (const item of this.items.splice(0)) this.dropped(item, reason);
  }
}

/** Messages grpc-js may hand over after reading was stopped (its object-mode read-ahead). */
const BLOCK_SLACK = 16;
