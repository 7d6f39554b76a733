import type { Http2Stream } from 'node:http2';

/** gRPC's length-prefixed framing: 1 compression-flag byte, then the body's length (4 bytes, big-endian). */
const PREFIX_BYTES = 5;

/**
 * Calls `onLate` when a gRPC message begun on `stream` has not arrived whole within `timeoutMs`.
 *
 * It reads the framing of the bytes grpc-js reads (a passive 'data' listener: the stream stays
 * paused or flowing as grpc-js wants), and the clock runs only while the stream is being read: a
 * message waiting because its handler is not ready for it is the gateway's doing, not the client's.
 * Returns a function that stops watching.
 */
export function watchMessageArrival(
  stream: Http2Stream,
  timeoutMs: number,
  onLate: () => void,
): () => void {
  let prefixRead = 0;
  let length = 0;
  let bodyLeft = 0;
  /** Which message the clock runs for (a new one restarts it). */
  let messages = 0;
  let timedMessage = -1;
  let timer: NodeJS.Timeout | undefined;
  const stopClock = (): void => {
    clearTimeout(timer);
    timer = undefined;
    timedMessage = -1;
  };
  const inMessage = (): boolean => prefixRead > 0 || bodyLeft > 0;
  const updateClock = (): void => {
    if (!inMessage() || stream.isPaused()) {
      stopClock();
    } else if (timedMessage !== messages) {
      clearTimeout(timer);
      timer = setTimeout(onLate, timeoutMs).unref();
      timedMessage = messages;
    }
  };
  const onData = (chunk: Buffer): void => {
    let offset = 0;
    while (offset < chunk.length) {
      if (prefixRead < PREFIX_BYTES) {
        if (prefixRead === 0) messages += 1;
        // Bytes 1-4 of the prefix are the length; byte 0 is the compression flag.
        for (; prefixRead < PREFIX_BYTES && offset < chunk.length; prefixRead += 1, offset += 1) {
          if (prefixRead > 0) length = length * 256 + chunk[offset];
        }
        if (prefixRead < PREFIX_BYTES) break;
        bodyLeft = length;
      }
      const taken = Math.min(bodyLeft, chunk.length - offset);
      bodyLeft -= taken;
      offset += taken;
      if (bodyLeft === 0) {
        prefixRead = 0;
        length = 0;
      }
    }
    updateClock();
  };
  const onPause = (): void => updateClock();
  const onResume = (): void => {
    stopClock();
    updateClock();
  };
  stream.on('data', onData);
  stream.on('pause', onPause);
  stream.on('resume', onResume);
  return () => {
    stopClock();
    stream.off('data', onData);
    stream.off('pause', onPause);
    stream.off('resume', onResume);
  };
}
