import type { NumericTensorData } from './tensor';

/** Buffers whose owner gave them to an inference call: see handOver. */
const handedOver = new WeakSet<ArrayBuffer>();

/**
 * Spare input buffers by byte length, given back by a backend once its call was done with them.
 * A fresh 2 MB buffer costs up to ~1 ms of page faults and zeroing plus its share of garbage
 * collection, a spare one ~0.03 ms to zero (measured on the detect path's NanoDet input: reuse
 * saved ~0.7 ms CPU per call, moving instead of copying ~1.4 ms). Bounded, so a burst leaves at
 * most SPARES_PER_SIZE buffers of a size and SPARE_BYTES in all behind.
 */
const spares = new Map<number, ArrayBuffer[]>();
const SPARES_PER_SIZE = 4;
const SPARE_BYTES = 32 * 1024 * 1024;
let spareBytes = 0;

/**
 * Marks `data` as given to the inference call it is sent with: the caller allocated its whole
 * buffer and never reads it again, so a backend may move the buffer to another thread (the
 * embedded backend's worker) instead of copying it; afterwards `data` is empty (detached). Only a
 * typed array spanning a whole, unshared ArrayBuffer can be handed over: a view into a larger
 * buffer (request bodies, Node's pooled buffers) is left as it is and copied as before.
 */
export function handOver<T extends NumericTensorData>(data: T): T {
  const { buffer } = data;
  if (
    buffer instanceof ArrayBuffer &&
    data.byteOffset === 0 &&
    data.byteLength === buffer.byteLength
  )
    handedOver.add(buffer);
  return data;
}

/** The buffer a backend may move to another thread instead of copying, if `data` was handed over. */
export function movableBuffer(data: unknown): ArrayBuffer | undefined {
  if (!ArrayBuffer.isView(data)) return undefined;
  const { buffer } = data;
  return buffer instanceof ArrayBuffer && handedOver.has(buffer) ? buffer : undefined;
}

/**
 * A backend gives back a handed-over buffer it has finished with (nothing else refers to it), for
 * the next call's input; kept only while the spares stay within their bounds.
 */
export function giveBack(buffer: ArrayBuffer): void {
  const size = buffer.byteLength;
  const list = spares.get(size) ?? [];
  if (size === 0 || list.length >= SPARES_PER_SIZE || spareBytes + size > SPARE_BYTES) return;
  list.push(buffer);
  spares.set(size, list);
  spareBytes += size;
}

/** A zero-filled Float32Array of `length` elements: a spare buffer when there is one, else new. */
export function zeroedFloat32(length: number): Float32Array {
  const spare = spares.get(length * Float32Array.BYTES_PER_ELEMENT)?.pop();
  if (!spare) return new Float32Array(length);
  spareBytes -= spare.byteLength;
  return new Float32Array(spare).fill(0);
}

/** How many spare buffers of `byteLength` bytes are kept now. */
export function spareCount(byteLength: number): number {
  return spares.get(byteLength)?.length ?? 0;
}
