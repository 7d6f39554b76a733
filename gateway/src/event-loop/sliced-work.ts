import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Work proportional to a tensor's element count, written as a generator that yields every few
 * thousand elements (never more than ~100 µs apart), so that it can run on the event loop thread
 * in slices: a 64 MiB body has up to 33 M elements, and walking them in one go stalls every other
 * caller for seconds.
 */
export type SlicedWork<T> = Generator<void, T, void>;

/**
 * How long one slice may hold the event loop. The bound is 100 ms on any input; slices an
 * order of magnitude shorter keep normal calls prompt while a large tensor is decoded or encoded.
 */
const SLICE_MS = 8;

/** Runs `work`, giving the event loop a turn whenever a slice has run for SLICE_MS. */
export async function runSliced<T>(work: SlicedWork<T>): Promise<T> {
  let sliceStarted = performance.now();
  for (;;) {
    const step = work.next();
    if (step.done) return step.value;
    if (performance.now() - sliceStarted >= SLICE_MS) {
      await nextTurn();
      sliceStarted = performance.now();
    }
  }
}

/** Runs `work` to its end at once: for data that is small by construction or already bounded. */
export function runAtOnce<T>(work: SlicedWork<T>): T {
  for (;;) {
    const step = work.next();
    if (step.done) return step.value;
  }
}

/** Elements (or bytes, for byte-level scans) between two yields of a sliced loop. */
export const YIELD_EVERY = 4096;

/** `chunks` copied into one buffer of `total` bytes, a chunk per step: no single large copy. */
export function* concatenate(chunks: readonly Uint8Array[], total: number): SlicedWork<Buffer> {
  const result = Buffer.allocUnsafe(total);
  let offset = 0;
  for (const chunk of chunks) {
    result.set(chunk, offset);
    offset += chunk.byteLength;
    yield;
  }
  return result;
}
