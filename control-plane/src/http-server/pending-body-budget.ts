/**
 * Bytes of request bodies being received, over every connection. A body is reserved at its
 * declared Content-Length before its first byte is read and released when the request is done
 * (read, refused or abandoned), so parked uploads cannot add up past the capacity.
 */
export class PendingBodyBudget {
  private pendingBytes = 0;

  constructor(readonly capacityBytes: number) {}

  get pending(): number {
    return this.pendingBytes;
  }

  /** Reserves `bytes` and returns a release function (idempotent), or undefined when full. */
  tryReserve(bytes: number): (() => void) | undefined {
    if (this.pendingBytes + bytes > this.capacityBytes) return undefined;
    this.pendingBytes += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.pendingBytes -= bytes;
    };
  }
}
