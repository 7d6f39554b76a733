import { Logger } from '@nestjs/common';
import { CredentialRefusal, unauthenticated } from '../credential-refusal';
import type { ApiKeyCheckSettings } from '../settings';
import type { Caller } from '../caller';
import type { AuthFailureReason, CredentialCheckObserver } from '../credential-check-observer';
import { peerKey } from '../peer-address';
import { parseApiKey, type ParsedApiKey } from './api-key-format';
import { verifySecret } from './api-key-hash';
import type { ApiKeyRecord, ApiKeyStore } from './api-key-store';
import { BoundedConcurrency } from './bounded-concurrency';
import { ExpiringSet } from './expiring-set';
import { FailureLimits } from './failure-limits';
import { KnownGoodDigests } from './known-good-digests';
import { digestOfPresentedKey, type KeyDigest } from './presented-key-digest';
import { VerificationCache } from './verification-cache';

/** Entries of each negative cache: they cost ~100 bytes each, and are refilled at request rate. */
const NEGATIVE_CACHE_ENTRIES = 10_000;
/** A refused check is worth retrying once a running one ended: about one scrypt later. */
const BUSY_RETRY_AFTER_MS = 1000;

/**
 * Presented API key → caller, paying for scrypt (~44 ms of a libuv threadpool thread) only when
 * nothing cheaper decides, in this order:
 * 1. the verification cache (GATEWAY_API_KEY_CACHE_TTL_MS): the caller, without reading the store;
 * 2. the negative caches: this exact key was wrong, or this id unknown, a moment ago: 401;
 * 3. the store (a primary-key read; an unknown id costs nothing more): 401, or the record;
 * 4. the known-good digest of the id: the key that last passed scrypt here passes again, without
 *    scrypt and without any failure limit (revocation is still read from the record);
 * 5. the failure limits per key id and per peer: 429 with Retry-After, without scrypt;
 * 6. a scrypt slot (GATEWAY_API_KEY_CHECK_CONCURRENCY, waiting room GATEWAY_API_KEY_CHECK_QUEUE):
 *    503 with Retry-After when the waiting room is full; the same key being checked already shares
 *    that check instead of starting another.
 * Logs name key ids, never keys or secrets.
 */
export class ApiKeyVerification {
  private readonly logger = new Logger('ApiKeys');
  private readonly cache: VerificationCache;
  private readonly wrongKeys: ExpiringSet;
  private readonly unknownIds: ExpiringSet;
  private readonly knownGood = new KnownGoodDigests();
  private readonly limits: FailureLimits;
  private readonly slots: BoundedConcurrency;
  private readonly checksInFlight = new Map<KeyDigest, Promise<boolean>>();

  constructor(
    private readonly store: ApiKeyStore,
    cacheTtlMs: number,
    private readonly settings: ApiKeyCheckSettings,
    private readonly observer: CredentialCheckObserver,
    now: () => number = Date.now,
  ) {
    this.cache = new VerificationCache(cacheTtlMs, 10_000, now);
    this.wrongKeys = new ExpiringSet(settings.negativeCacheMs, NEGATIVE_CACHE_ENTRIES, now);
    this.unknownIds = new ExpiringSet(settings.negativeCacheMs, NEGATIVE_CACHE_ENTRIES, now);
    this.limits = new FailureLimits(settings);
    this.slots = new BoundedConcurrency(
      settings.concurrency,
      settings.maxWaiting,
      (running, waiting) => observer.hashSlots(running, waiting),
    );
  }

  /**
   * The caller a presented key stands for, or a refusal saying why not (never repeating the key).
   * `peer`: the caller's address as the transport reports it (peer-address.ts).
   */
  async verify(presented: string, peer?: string): Promise<Caller> {
    const digest = digestOfPresentedKey(presented);
    const cached = this.cache.get(digest);
    if (cached) return cached;
    const parsed = parseApiKey(presented);
    if (!parsed) {
      throw this.refuse(
        'malformed',
        unauthenticated('the API key is malformed: expected tcg_<id>_<secret>'),
      );
    }
    if (this.wrongKeys.has(digest)) {
      throw this.refuse('wrong_secret_repeated', notValid(parsed.id));
    }
    if (this.unknownIds.has(parsed.id)) throw this.refuse('unknown_key', notValid(parsed.id));
    const record = await this.read(parsed.id);
    if (!record) {
      this.unknownIds.add(parsed.id);
      this.logger.debug(`authentication failed: API key ${parsed.id} unknown or secret wrong`);
      throw this.refuse('unknown_key', notValid(parsed.id));
    }
    if (!this.knownGood.matches(parsed.id, digest, record.secret)) {
      await this.checkSecret(parsed, record, digest, peerKey(peer));
    }
    if (record.revokedAt) {
      this.logger.debug(`authentication failed: API key ${parsed.id} is revoked`);
      throw this.refuse('revoked', unauthenticated(`API key '${parsed.id}' was revoked`));
    }
    const caller: Caller = {
      tenant: record.tenant,
      subject: `key:${record.id}`,
      scopes: [...record.scopes],
    };
    this.cache.set(digest, record.id, caller);
    return caller;
  }

  /** A key whose secret was checked elsewhere (the bootstrap key at start-up) is known good. */
  remember(presented: string, record: ApiKeyRecord): void {
    this.knownGood.remember(record.id, digestOfPresentedKey(presented), record.secret);
  }

  /** A key id just created on this replica is no longer unknown. */
  created(id: string): void {
    this.unknownIds.delete(id);
  }

  /** Revoked or rotated on this replica: forget every shortcut for the id at once. */
  forget(id: string): void {
    this.cache.evictKey(id);
    this.knownGood.forget(id);
  }

  private async read(id: string): Promise<ApiKeyRecord | undefined> {
    try {
      return await this.store.get(id);
    } catch (error) {
      this.logger.error(`API key store unreachable: ${(error as Error).message}`);
      throw this.refuse(
        'store_unavailable',
        new CredentialRefusal('unavailable', 'the API key store is unreachable; try again', 1000),
      );
    }
  }

  /** scrypt, once per digest at a time: concurrent callers with the same key share one check. */
  private async checkSecret(
    parsed: ParsedApiKey,
    record: ApiKeyRecord,
    digest: KeyDigest,
    peer: string | undefined,
  ): Promise<void> {
    let check = this.checksInFlight.get(digest);
    if (!check) {
      check = this.runCheck(parsed, record, digest, peer);
      this.checksInFlight.set(digest, check);
      const forget = (): void => void this.checksInFlight.delete(digest);
      check.then(forget, forget);
    }
    if (!(await check)) {
      this.logger.debug(`authentication failed: API key ${parsed.id} unknown or secret wrong`);
      throw this.refuse('wrong_secret', notValid(parsed.id));
    }
  }

  private async runCheck(
    parsed: ParsedApiKey,
    record: ApiKeyRecord,
    digest: KeyDigest,
    peer: string | undefined,
  ): Promise<boolean> {
    const admission = await this.limits.admit(parsed.id, peer);
    if ('error' in admission) throw this.refuse(admission.reason, admission.error);
    const slot = this.slots.acquire();
    if (!slot) {
      admission.end();
      throw this.refuse(
        'checks_busy',
        new CredentialRefusal(
          'unavailable',
          'too many API key checks are waiting; try again in 1 s',
          BUSY_RETRY_AFTER_MS,
        ),
      );
    }
    let matched: boolean;
    try {
      const release = await slot;
      try {
        matched = await verifySecret(parsed.secret, record.secret);
      } finally {
        release();
      }
    } finally {
      admission.end();
    }
    this.observer.hashChecked(matched);
    if (matched) {
      this.knownGood.remember(parsed.id, digest, record.secret);
    } else {
      this.wrongKeys.add(digest);
      await this.countFailure(parsed.id, peer);
    }
    return matched;
  }

  private async countFailure(id: string, peer: string | undefined): Promise<void> {
    const { keyLimitReached, peerLimitReached } = await this.limits.recordFailure(id, peer);
    const { failuresPerKey, failuresPerPeer, failureWindowS } = this.settings;
    if (keyLimitReached) {
      this.logger.warn(
        `API key ${id}: ${failuresPerKey} wrong secrets within ${failureWindowS} s; other secrets for it are refused (429) until the window ends, except from addresses without failures`,
      );
    }
    if (peerLimitReached) {
      this.logger.warn(
        `${peer}: ${failuresPerPeer} wrong API key secrets within ${failureWindowS} s; its unknown keys are refused (429) until the window ends`,
      );
    }
  }

  private refuse(reason: AuthFailureReason, error: CredentialRefusal): CredentialRefusal {
    this.observer.refused('api_key', reason);
    return error;
  }
}

function notValid(id: string): CredentialRefusal {
  return unauthenticated(`API key '${id}' is not valid`);
}
