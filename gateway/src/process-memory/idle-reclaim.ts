import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/** What the reclaimer reads and does: the process's own in production, fakes in its unit test. */
export interface ReclaimProbe {
  /** Share of the time (0..1) the event loop was busy since the previous call. */
  busyShare(): number;
  rssBytes(): number;
  /** A major garbage collection. */
  collect(): Promise<void>;
}

/** Below this share of busy time over a whole interval, the gateway is serving (almost) nothing. */
const IDLE_BUSY_SHARE = 0.01;
/** RSS growth over the lowest level since the last collection that is worth a collection. */
export const RECLAIM_GROWTH_BYTES = 64 * 1024 * 1024;

/**
 * Gives memory freed after a burst back to the operating system. Request bodies, decoded images
 * and tensors are ArrayBuffers outside V8's heap; they are freed only when V8 collects the small
 * objects that own them, and once the gateway is idle V8 may not collect for minutes (measured:
 * +300 to +400 MB of RSS held after a burst of detects and KServe infers, with 50 MB of heap in
 * use). When an interval passes with the event loop idle and RSS grown by 64 MiB, one major
 * collection runs, incrementally (`execution: 'async'`), so a request arriving meanwhile is not
 * held up by it.
 */
export class IdleReclaim {
  /** The lowest RSS seen since the last collection. */
  private baseline: number;
  private collecting = false;

  constructor(private readonly probe: ReclaimProbe) {
    this.baseline = probe.rssBytes();
  }

  /** One look, every interval: collects when idle and grown; true if it did. */
  async check(): Promise<boolean> {
    const busyShare = this.probe.busyShare();
    if (this.collecting) return false;
    const rss = this.probe.rssBytes();
    this.baseline = Math.min(this.baseline, rss);
    if (busyShare >= IDLE_BUSY_SHARE || rss - this.baseline < RECLAIM_GROWTH_BYTES) return false;
    this.collecting = true;
    try {
      await this.probe.collect();
    } finally {
      this.collecting = false;
      this.baseline = this.probe.rssBytes();
    }
    return true;
  }
}

/**
 * Starts looking every `intervalMs` in this process; needs `gc` (node --expose-gc, as
 * `npm run start:gateway` starts it). Returns how to stop, or undefined where it cannot run.
 */
export function startIdleReclaim(
  intervalMs: number,
  onError: (error: unknown) => void,
): (() => void) | undefined {
  const gc = globalThis.gc;
  if (!gc || intervalMs <= 0) return undefined;
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  const reclaim = new IdleReclaim({
    busyShare: () => {
      const now = performance.eventLoopUtilization();
      const share = performance.eventLoopUtilization(now, last).utilization;
      last = now;
      return share;
    },
    rssBytes: () => process.memoryUsage.rss(),
    collect: () => gc({ type: 'major', execution: 'async' }),
  });
  const timer = setInterval(() => void reclaim.check().catch(onError), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
