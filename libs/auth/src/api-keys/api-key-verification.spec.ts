import { Logger } from '@nestjs/common';
import { CredentialRefusal } from '../credential-refusal';
import type { ApiKeyCheckSettings } from '../settings';
import type { AuthFailureReason, CredentialCheckObserver } from '../credential-check-observer';
import { formatApiKey, generateApiKey } from './api-key-format';
import { hashSecret } from './api-key-hash';
import type { ApiKeyRecord, ApiKeyStore } from './api-key-store';
import { ApiKeyVerification } from './api-key-verification';

const SETTINGS: ApiKeyCheckSettings = {
  concurrency: 1,
  maxWaiting: 8,
  failuresPerKey: 3,
  failuresPerPeer: 5,
  failureWindowS: 60,
  negativeCacheMs: 5000,
};

/** The store's read path, in memory, counting reads. */
class MemoryStore implements Pick<ApiKeyStore, 'get'> {
  reads = 0;
  failing = false;
  readonly records = new Map<string, ApiKeyRecord>();

  get(id: string): Promise<ApiKeyRecord | undefined> {
    this.reads += 1;
    if (this.failing) return Promise.reject(new Error('connection refused'));
    return Promise.resolve(this.records.get(id));
  }
}

class Recorder implements CredentialCheckObserver {
  readonly refusals: AuthFailureReason[] = [];
  hashChecks = 0;
  maxRunning = 0;
  refused(_credential: string, reason: AuthFailureReason): void {
    this.refusals.push(reason);
  }
  hashChecked(): void {
    this.hashChecks += 1;
  }
  hashSlots(running: number): void {
    this.maxRunning = Math.max(this.maxRunning, running);
  }
}

async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    if (!(error instanceof CredentialRefusal)) throw error;
    return error.kind;
  }
}

describe('ApiKeyVerification (real scrypt, in-memory store, fake clock)', () => {
  let owner: { id: string; key: string; record: ApiKeyRecord };
  let store: MemoryStore;
  let observer: Recorder;
  const wrong = (id: string, n: number) => formatApiKey(id, `${'w'.repeat(42)}${n}`);

  beforeAll(async () => {
    Logger.overrideLogger(false);
    const { id, secret, key } = generateApiKey();
    const record: ApiKeyRecord = {
      id,
      tenant: 'team-a',
      scopes: ['infer:*'],
      secret: await hashSecret(secret),
      createdAt: new Date().toISOString(),
    };
    owner = { id, key, record };
  });

  beforeEach(() => {
    // rate-limiter-flexible reads Date.now; scrypt's callbacks must still run.
    jest.useFakeTimers({
      now: 1_000_000,
      doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'],
    });
    store = new MemoryStore();
    store.records.set(owner.id, { ...owner.record });
    observer = new Recorder();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  const verification = (cacheTtlMs = 0, settings: Partial<ApiKeyCheckSettings> = {}) =>
    new ApiKeyVerification(
      store as unknown as ApiKeyStore,
      cacheTtlMs,
      { ...SETTINGS, ...settings },
      observer,
      () => Date.now(),
    );

  it("keeps serving the owner's known key, without scrypt, while its id and address are over their limits", async () => {
    const keys = verification(0, { failuresPerPeer: 3 });
    expect(await keys.verify(owner.key, '10.0.0.1')).toMatchObject({ tenant: 'team-a' });
    for (let n = 0; n < 3; n += 1) {
      expect(await outcome(keys.verify(wrong(owner.id, n), '10.0.0.1'))).toBe('unauthenticated');
    }
    expect(await outcome(keys.verify(wrong(owner.id, 9), '10.0.0.1'))).toBe('resource_exhausted');
    expect(observer.refusals.at(-1)).toBe('peer_failure_limit');
    expect(observer.hashChecks).toBe(4);
    expect(await keys.verify(owner.key, '10.0.0.1')).toMatchObject({ tenant: 'team-a' });
    expect(observer.hashChecks).toBe(4);
  });

  it('answers a repeated wrong key and an unknown id from memory for the negative-cache time', async () => {
    const keys = verification();
    const guess = wrong(owner.id, 1);
    expect(await outcome(keys.verify(guess, '10.0.0.1'))).toBe('unauthenticated');
    expect(await outcome(keys.verify(guess, '10.0.0.1'))).toBe('unauthenticated');
    expect(observer.hashChecks).toBe(1);
    expect(observer.refusals).toEqual(['wrong_secret', 'wrong_secret_repeated']);

    const unknown = formatApiKey('ZZZZZZZZZZZZ', 'u'.repeat(43));
    const reads = store.reads;
    expect(await outcome(keys.verify(unknown))).toBe('unauthenticated');
    expect(await outcome(keys.verify(unknown))).toBe('unauthenticated');
    expect(store.reads).toBe(reads + 1);
    jest.advanceTimersByTime(5000);
    expect(await outcome(keys.verify(unknown))).toBe('unauthenticated');
    expect(store.reads).toBe(reads + 2);
    expect(await outcome(keys.verify(guess, '10.0.0.1'))).toBe('unauthenticated');
    expect(observer.hashChecks).toBe(2);
  });

  it('checks a first use from a clean address while the id is over its limit, then the limits expire', async () => {
    const keys = verification();
    for (let n = 0; n < 3; n += 1) await outcome(keys.verify(wrong(owner.id, n), '10.0.0.1'));
    expect(await outcome(keys.verify(wrong(owner.id, 3), '10.0.0.1'))).toBe('resource_exhausted');
    // The owner, never seen by this replica, from its own address.
    expect(await keys.verify(owner.key, '10.0.0.2')).toMatchObject({ tenant: 'team-a' });
    jest.advanceTimersByTime(60_000);
    expect(await outcome(keys.verify(wrong(owner.id, 4), '10.0.0.1'))).toBe('unauthenticated');
  });

  it('still reads revocation from the store for a known key, and forgets it on request', async () => {
    const keys = verification();
    await keys.verify(owner.key);
    store.records.set(owner.id, { ...owner.record, revokedAt: new Date().toISOString() });
    const checks = observer.hashChecks;
    expect(await outcome(keys.verify(owner.key))).toBe('unauthenticated');
    expect(observer.refusals.at(-1)).toBe('revoked');
    expect(observer.hashChecks).toBe(checks);
    keys.forget(owner.id);
    expect(await outcome(keys.verify(owner.key))).toBe('unauthenticated');
    expect(observer.hashChecks).toBe(checks + 1);
  });

  it('within the cache TTL answers from the cache without reading the store; forget evicts', async () => {
    const keys = verification(30_000);
    await keys.verify(owner.key);
    const reads = store.reads;
    await keys.verify(owner.key);
    expect(store.reads).toBe(reads);
    keys.forget(owner.id);
    await keys.verify(owner.key);
    expect(store.reads).toBe(reads + 1);
  });

  it('runs one scrypt at a time, refuses beyond the waiting room with 503, and shares a check per key', async () => {
    const keys = verification(0, {
      maxWaiting: 2,
      failuresPerKey: 1000,
      failuresPerPeer: 1000,
    });
    const outcomes = await Promise.all(
      [0, 1, 2, 3, 4].map((n) => outcome(keys.verify(wrong(owner.id, n), '10.0.0.1'))),
    );
    expect(outcomes.sort()).toEqual([
      'unauthenticated',
      'unauthenticated',
      'unauthenticated',
      'unavailable',
      'unavailable',
    ]);
    expect(observer.refusals.filter((reason) => reason === 'checks_busy')).toHaveLength(2);
    expect(observer.maxRunning).toBe(1);

    const fresh = verification();
    const same = await Promise.all([0, 1, 2, 3, 4, 5].map(() => fresh.verify(owner.key)));
    expect(same).toHaveLength(6);
    expect(observer.hashChecks).toBe(3 + 1);
  });

  it('answers 503 with Retry-After while the store cannot be read', async () => {
    const keys = verification();
    store.failing = true;
    const error = await keys.verify(owner.key).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CredentialRefusal);
    expect((error as CredentialRefusal).kind).toBe('unavailable');
    expect((error as CredentialRefusal).retryAfterMs).toBe(1000);
    expect(observer.refusals).toEqual(['store_unavailable']);
  });
});
