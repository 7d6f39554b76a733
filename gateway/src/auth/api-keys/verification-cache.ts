import { createHash } from 'node:crypto';
import type { Caller } from '../caller';

interface Entry {
  keyId: string;
  caller: Caller;
  expiresAt: number;
}

/**
 * Recently verified keys, so scrypt runs once per key and TTL rather than once per request. Keyed by
 * the SHA-256 of the whole presented key: the cache never holds a secret, and only the exact key that
 * passed scrypt hits it. Bounded: the oldest entry goes when it is full.
 */
export class VerificationCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(presentedKey: string): Caller | undefined {
    const digest = sha256(presentedKey);
    const entry = this.entries.get(digest);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(digest);
      return undefined;
    }
    return entry.caller;
  }

  set(presentedKey: string, keyId: string, caller: Caller): void {
    if (this.ttlMs <= 0) return;
    const digest = sha256(presentedKey);
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

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64');
}
