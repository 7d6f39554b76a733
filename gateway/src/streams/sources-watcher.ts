import { create, toBinary } from '@bufbuild/protobuf';
import {
  DroppedFrameSchema,
  DropReason,
  FrameResultSchema,
  type DroppedFrame,
  type FrameResult,
} from '@contracts/generated/vision/v1/streams_pb';

/** The part of a grpc-js server stream a watcher writes to. */
export interface WatchCall {
  readonly cancelled: boolean;
  /** The callback runs once the message left for the client (HTTP/2 flow control let it go). */
  write(result: FrameResult, callback: () => void): unknown;
  end(): void;
}

export interface WatcherStats {
  /** Results waiting for the client to take the ones before them (at most `capacity`). */
  queuedResults: number;
  capacity: number;
  /** Bytes written to the call and not yet taken by the client. */
  unsentBytes: number;
  /** Results this watcher lost because it read too slowly. */
  droppedResults: number;
  /** Drop notices waiting for the next result. */
  pendingNotices: number;
}

/** Results one watcher may have waiting: 32 is ~6 s of a 5 fps source, a few KB each. */
export const WATCH_QUEUE_RESULTS = 32;
/** Drop notices held for the next result; older ones are only counted (a watcher paused for long). */
const MAX_PENDING_NOTICES = 1024;

/**
 * One WatchSource subscriber: the source's results through a bounded queue of its own. Results
 * are written while the client has taken all but `maxUnsentBytes` of what was written; past
 * that they wait, and when `capacity` wait the oldest is dropped and named (QUEUE_FULL) in the
 * next result the client gets. So a slow client holds at most maxUnsentBytes + capacity results
 * + the notices, and never slows the source or other watchers.
 */
export class SourceWatcher {
  private readonly queue: FrameResult[] = [];
  private notices: DroppedFrame[] = [];
  private unsentBytes = 0;
  private droppedResults = 0;
  private done = false;

  constructor(
    private readonly call: WatchCall,
    private readonly maxUnsentBytes: number,
    private readonly capacity = WATCH_QUEUE_RESULTS,
  ) {}

  get ended(): boolean {
    return this.done;
  }

  /** Takes a result of the source (shared with other watchers: never changed here). */
  push(result: FrameResult): void {
    if (this.done) return;
    if (this.queue.length >= this.capacity) this.dropOldest();
    this.queue.push(result);
    this.flush();
  }

  /**
   * The source ended or was removed: what waits goes out now (past the unsent bound, at most
   * `capacity` results once), then drops not yet told, then the call ends with OK.
   */
  end(): void {
    if (this.done) return;
    this.done = true;
    for (const result of this.queue.splice(0)) this.send(result);
    if (this.notices.length > 0) {
      this.send(create(FrameResultSchema, { dropped: this.takeNotices() }));
    }
    if (!this.call.cancelled) this.call.end();
  }

  /** The client went away: nothing more is kept or written. */
  detach(): void {
    this.done = true;
    this.queue.length = 0;
    this.notices = [];
  }

  stats(): WatcherStats {
    return {
      queuedResults: this.queue.length,
      capacity: this.capacity,
      unsentBytes: this.unsentBytes,
      droppedResults: this.droppedResults,
      pendingNotices: this.notices.length,
    };
  }

  private flush(): void {
    while (!this.done && this.queue.length > 0 && this.unsentBytes < this.maxUnsentBytes) {
      this.send(this.queue.shift() as FrameResult);
    }
  }

  private send(result: FrameResult): void {
    if (this.call.cancelled) return;
    const out =
      this.notices.length === 0
        ? result
        : { ...result, dropped: [...this.takeNotices(), ...result.dropped] };
    // The encoded size, once more than grpc-js needs; results are small.
    const bytes = toBinary(FrameResultSchema, out).byteLength;
    this.unsentBytes += bytes;
    this.call.write(out, () => {
      this.unsentBytes -= bytes;
      this.flush();
    });
  }

  private dropOldest(): void {
    const oldest = this.queue.shift();
    if (!oldest) return;
    this.droppedResults += 1;
    // The frames it named as dropped came before it: they are told first.
    this.notice(...oldest.dropped);
    // A result carrying only notices names no frame of its own.
    if (oldest.cameraId !== '') {
      this.notice(
        create(DroppedFrameSchema, {
          cameraId: oldest.cameraId,
          seq: oldest.seq,
          reason: DropReason.QUEUE_FULL,
        }),
      );
    }
  }

  private notice(...notices: DroppedFrame[]): void {
    this.notices.push(...notices);
    if (this.notices.length > MAX_PENDING_NOTICES) {
      this.notices.splice(0, this.notices.length - MAX_PENDING_NOTICES);
    }
  }

  private takeNotices(): DroppedFrame[] {
    const notices = this.notices;
    this.notices = [];
    return notices;
  }
}
