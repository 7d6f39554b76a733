import { RateLimiterMemory, type RateLimiterRes } from 'rate-limiter-flexible';
import { CredentialRefusal } from '../credential-refusal';
import type { ApiKeyCheckSettings } from '../settings';

export type FailureLimitSettings = Pick<
  ApiKeyCheckSettings,
  'failuresPerKey' | 'failuresPerPeer' | 'failureWindowS'
>;

export interface FailureLimitRefusal {
  reason: 'key_failure_limit' | 'peer_failure_limit';
  error: CredentialRefusal;
}

/**
 * Wrong secrets counted per key id and per peer over a fixed window (rate-limiter-flexible, in
 * memory). Past a limit, further secrets for that id / from that peer are refused (429 with
 * Retry-After) without a scrypt. Only secrets that reach scrypt are ever asked about: a key whose
 * digest is known good passes before (known-good-digests.ts), so its owner never meets a limit.
 *
 * An id over its limit still lets a peer with no failures of its own in the window have its secret
 * checked: an owner presenting its key for the first time on this replica (after a restart) from
 * its own address is served while someone elsewhere guesses at the id. Each such peer's first
 * wrong secret marks it, so a distributed guesser gets one check per address and window, and the
 * concurrency bound caps what those cost. An owner behind the same address as the guesser (one NAT,
 * a proxy without trust settings) waits for the window unless this replica already knows its key.
 *
 * Checks under way count as failures until they end (`reserve`), so one id or one peer can never
 * hold more places in the scrypt queue than it has failures left: a burst of guesses cannot fill
 * the queue ahead of an owner while the first of them are still being checked.
 *
 * Memory: an entry exists only for an id or peer that paid a scrypt in the window, so their number
 * is bounded by the scrypt rate (itself bounded by the concurrency limit) times the window; checks
 * under way are bounded by the scrypt slots and queue.
 */
export class FailureLimits {
  private readonly perKey: RateLimiterMemory;
  private readonly perPeer: RateLimiterMemory;
  private readonly pendingPerKey = new PendingCounts();
  private readonly pendingPerPeer = new PendingCounts();

  constructor(private readonly settings: FailureLimitSettings) {
    this.perKey = new RateLimiterMemory({
      keyPrefix: 'api-key-id',
      points: settings.failuresPerKey,
      duration: settings.failureWindowS,
    });
    this.perPeer = new RateLimiterMemory({
      keyPrefix: 'api-key-peer',
      points: settings.failuresPerPeer,
      duration: settings.failureWindowS,
    });
  }

  /**
   * Why a secret for `id` from `peer` must not be checked now, or else its reservation: the check
   * counts as a failure until the function returned is called (when it ends).
   */
  async admit(
    id: string,
    peer: string | undefined,
  ): Promise<FailureLimitRefusal | { end: () => void }> {
    const { failuresPerKey, failuresPerPeer, failureWindowS } = this.settings;
    const peerState = peer === undefined ? undefined : live(await this.perPeer.get(peer));
    const keyState = live(await this.perKey.get(id));
    // From here on synchronous, so no other check slips in between counting and reserving.
    const peerCount =
      (peerState?.consumedPoints ?? 0) + (peer === undefined ? 0 : this.pendingPerPeer.of(peer));
    if (peer !== undefined && peerCount >= failuresPerPeer) {
      const seconds = retryAfterSeconds(peerState);
      return {
        reason: 'peer_failure_limit',
        error: new CredentialRefusal(
          'resource_exhausted',
          `too many failed credential checks from this address (${failuresPerPeer} in ${failureWindowS} s); try again in ${seconds} s`,
          seconds * 1000,
        ),
      };
    }
    const keyCount = (keyState?.consumedPoints ?? 0) + this.pendingPerKey.of(id);
    const peerIsClean = peer !== undefined && peerCount === 0;
    if (keyCount >= failuresPerKey && !peerIsClean) {
      const seconds = retryAfterSeconds(keyState);
      return {
        reason: 'key_failure_limit',
        error: new CredentialRefusal(
          'resource_exhausted',
          `too many wrong secrets for API key '${id}' (${failuresPerKey} in ${failureWindowS} s); try again in ${seconds} s`,
          seconds * 1000,
        ),
      };
    }
    return { end: this.reserve(id, peer) };
  }

  /** Counts one wrong secret; says which limits this one reached (to log each lockout once). */
  async recordFailure(
    id: string,
    peer: string | undefined,
  ): Promise<{ keyLimitReached: boolean; peerLimitReached: boolean }> {
    // Both counted at once: the check's reservation ended just before, with nothing in between.
    const [key, fromPeer] = await Promise.all([
      this.perKey.penalty(id, 1),
      peer === undefined ? undefined : this.perPeer.penalty(peer, 1),
    ]);
    return {
      keyLimitReached: key.consumedPoints === this.settings.failuresPerKey,
      peerLimitReached: fromPeer?.consumedPoints === this.settings.failuresPerPeer,
    };
  }

  private reserve(id: string, peer: string | undefined): () => void {
    this.pendingPerKey.add(id);
    if (peer !== undefined) this.pendingPerPeer.add(peer);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.pendingPerKey.remove(id);
      if (peer !== undefined) this.pendingPerPeer.remove(peer);
    };
  }
}

/** A window that has ended but whose entry is not yet swept counts as no window. */
function live(state: RateLimiterRes | null): RateLimiterRes | undefined {
  return state && state.msBeforeNext > 0 && state.consumedPoints > 0 ? state : undefined;
}

/** Seconds until the window ends; a second when only checks under way count (they end soon). */
function retryAfterSeconds(state: RateLimiterRes | undefined): number {
  return Math.max(1, Math.ceil((state?.msBeforeNext ?? 0) / 1000));
}

/** How many checks are under way per id or peer; entries go when they reach zero. */
class PendingCounts {
  private readonly counts = new Map<string, number>();

  of(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  add(key: string): void {
    this.counts.set(key, this.of(key) + 1);
  }

  remove(key: string): void {
    const left = this.of(key) - 1;
    if (left > 0) this.counts.set(key, left);
    else this.counts.delete(key);
  }
}
