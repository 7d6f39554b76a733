import { GatewayError } from '../errors/gateway-error';

/** Retry-After of a refusal: a decode takes milliseconds to about a second at the limits. */
const RETRY_AFTER_MS = 1000;

interface Waiter {
  bytes: number;
  start(): void;
  abandon(reason: unknown): void;
}

/**
 * Bounds the decoded bytes (width × height × channels × bytes per sample) of the images being
 * decoded at once: two images at the largest size, or many small ones side by side. An image waits
 * until its bytes fit, behind at most `maxQueue` others, and is refused beyond that; a waiter whose
 * `signal` aborts (deadline, caller gone) leaves the queue with the signal's reason. Waiters start
 * in arrival order, except that one that fits may pass one that does not yet, so a small camera
 * frame is not held up behind a large image.
 */
export class DecodeBudget {
  private inUse = 0;
  private readonly waiting: Waiter[] = [];

  /** `budget` is at least the largest image's bytes (the configuration checks it). */
  constructor(
    private readonly budget: number,
    private readonly maxQueue: number,
  ) {}

  /** Decoded bytes being decoded and images waiting, now. */
  get load(): { bytes: number; waiting: number } {
    return { bytes: this.inUse, waiting: this.waiting.length };
  }

  /** Runs `work` (one decode of an image of `bytes` decoded bytes) once the budget has room. */
  async run<T>(bytes: number, work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    const share = Math.min(bytes, this.budget);
    if (this.fits(share)) this.inUse += share;
    else await this.wait(share, signal);
    try {
      return await work();
    } finally {
      this.inUse -= share;
      this.startWaiters();
    }
  }

  private fits(bytes: number): boolean {
    return this.inUse + bytes <= this.budget;
  }

  /** Resolves once `bytes` of the budget are this caller's (`inUse` already counts them). */
  private wait(bytes: number, signal?: AbortSignal): Promise<void> {
    if (this.waiting.length >= this.maxQueue) {
      return Promise.reject(
        new GatewayError(
          'resource_exhausted',
          `image decoding is at capacity: ${this.inUse} decoded bytes in progress ` +
            `(GATEWAY_IMAGE_DECODE_BUDGET_BYTES ${this.budget}) and ${this.waiting.length} images ` +
            'waiting (GATEWAY_IMAGE_DECODE_QUEUE)',
          { retryAfterMs: RETRY_AFTER_MS },
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => waiter.abandon(signal?.reason);
      const waiter: Waiter = {
        bytes,
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        abandon: (reason) => {
          const index = this.waiting.indexOf(waiter);
          if (index >= 0) this.waiting.splice(index, 1);
          reject(reason instanceof Error ? reason : new Error(String(reason)));
        },
      };
      this.waiting.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Starts every waiter that fits now, in arrival order. */
  private startWaiters(): void {
    for (let index = 0; index < this.waiting.length;) {
      const waiter = this.waiting[index];
      if (!this.fits(waiter.bytes)) {
        index += 1;
        continue;
      }
      this.waiting.splice(index, 1);
      this.inUse += waiter.bytes;
      waiter.start();
    }
  }
}
