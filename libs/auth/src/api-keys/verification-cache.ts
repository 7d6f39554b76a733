import type { Caller } from '../caller';
import type { KeyDigest } from './presented-key-digest';

interface Entry {
  keyId: string;
  caller: Caller;
  expiresAt: number;
}

/**
 * Recently verified keys, so a key is checked once per TTL rather than once per request (not even
 * the store is read). Keyed by the digest of the whole presented key (presented-key-digest.ts): the
 * cache never holds a secret, and only the exact key that passed hits it. Bounded: the oldest entry
 * goes when it is full.
 */
export class VerificationCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(digest: KeyDigest): Caller | undefined {
    const entry = this.entries.get(digest);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(digest);
      return undefined;
    }
    return entry.caller;
  }

  set(digest: KeyDigest, keyId: string, caller: Caller): void {
    if (this.ttlMs <= 0) return;
    this.entries.delete(digest);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(digest, { keyId, caller, expiresAt: this.now() + this.ttlMs });
  }

  /** Forgets every cached verification of one key id (revoked or rotated on this replica). */
  evictKey(keyId: string): void {
    for (const [digest, entry] of this.entries) {
      if (entry.keyId === keyId) this.entries.delete(digest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
