/**
 * Values remembered for a fixed time, at most `maxEntries` of them (the oldest goes first), for the
 * negative caches: keys found wrong and ids found unknown. A TTL of 0 remembers nothing.
 */
export class ExpiringSet {
  private readonly expiries = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  has(value: string): boolean {
    const expiresAt = this.expiries.get(value);
    if (expiresAt === undefined) return false;
    if (expiresAt <= this.now()) {
      this.expiries.delete(value);
      return false;
    }
    return true;
  }

  add(value: string): void {
    if (this.ttlMs <= 0) return;
    this.expiries.delete(value);
    if (this.expiries.size >= this.maxEntries) {
      const oldest = this.expiries.keys().next();
      if (!oldest.done) this.expiries.delete(oldest.value);
    }
    this.expiries.set(value, this.now() + this.ttlMs);
  }

  delete(value: string): void {
    this.expiries.delete(value);
  }

  get size(): number {
    return this.expiries.size;
  }
}
