import type { SecretHash } from './api-key-hash';
import { sameDigest, type KeyDigest } from './presented-key-digest';

interface KnownGood {
  digest: KeyDigest;
  /** The stored hash the secret was checked against: a changed record invalidates the entry. */
  storedHash: string;
}

/**
 * Per key id, the digest of the last presented key that passed scrypt on this replica. A key whose
 * digest matches needs no scrypt and meets no failure limit, so guessing at an id never locks its
 * owner out; the record is still read from the store each time, so revocation holds as documented.
 * Entries exist only for keys that really verified, so their number is bounded by the keys in the
 * store; `maxEntries` (least recently used first) is a safety net, not a working limit.
 */
export class KnownGoodDigests {
  private readonly entries = new Map<string, KnownGood>();

  constructor(private readonly maxEntries = 100_000) {}

  matches(id: string, digest: KeyDigest, stored: SecretHash): boolean {
    const entry = this.entries.get(id);
    if (!entry || entry.storedHash !== stored.hash || !sameDigest(entry.digest, digest)) {
      return false;
    }
    // Least recently used goes first when full: touch it.
    this.entries.delete(id);
    this.entries.set(id, entry);
    return true;
  }

  remember(id: string, digest: KeyDigest, stored: SecretHash): void {
    this.entries.delete(id);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(id, { digest, storedHash: stored.hash });
  }

  forget(id: string): void {
    this.entries.delete(id);
  }

  get size(): number {
    return this.entries.size;
  }
}
