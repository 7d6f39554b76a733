import type { ApiKeyRecord, ApiKeyStore } from '../src/api-keys/api-key-store';

/** A record as the service would store it (the hash is a stand-in: stores never look into it). */
export function record(id: string, overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    id,
    tenant: 'team-a',
    scopes: ['infer:nanodet', 'metrics:read'],
    name: `key ${id}`,
    secret: { kdf: 'scrypt:N=16384,r=8,p=1', salt: 'c2FsdA==', hash: 'aGFzaA==' },
    createdAt: '2026-01-02T03:04:05.678Z',
    ...overrides,
  };
}

/**
 * What every ApiKeyStore must do, run against each implementation. `open` returns a store on the
 * same location each time it is called (a restart); `fresh` empties that location.
 */
export function apiKeyStoreContract(
  open: () => Promise<ApiKeyStore>,
  fresh: () => Promise<void>,
): void {
  let store: ApiKeyStore;

  beforeEach(async () => {
    await fresh();
    store = await open();
  });
  afterEach(() => store?.close());

  it('starts empty, stores records and finds them by id', async () => {
    expect(await store.list()).toEqual([]);
    await store.insert(record('AAAAAAAAAAAA'));
    await store.insert(record('BBBBBBBBBBBB', { name: undefined, scopes: ['admin'] }));
    expect(await store.get('AAAAAAAAAAAA')).toEqual(record('AAAAAAAAAAAA'));
    expect(await store.get('BBBBBBBBBBBB')).toEqual(
      record('BBBBBBBBBBBB', { name: undefined, scopes: ['admin'] }),
    );
    expect(await store.get('CCCCCCCCCCCC')).toBeUndefined();
    expect((await store.list()).map((r) => r.id).sort()).toEqual(['AAAAAAAAAAAA', 'BBBBBBBBBBBB']);
  });

  it('refuses a second record with the same id', async () => {
    await store.insert(record('AAAAAAAAAAAA'));
    await expect(store.insert(record('AAAAAAAAAAAA', { tenant: 'other' }))).rejects.toThrow();
    expect((await store.get('AAAAAAAAAAAA'))?.tenant).toBe('team-a');
  });

  it('inserts the first-start key only into an empty store', async () => {
    expect(await store.insertIfEmpty(record('AAAAAAAAAAAA'))).toBe(true);
    expect(await store.insertIfEmpty(record('BBBBBBBBBBBB'))).toBe(false);
    expect((await store.list()).map((r) => r.id)).toEqual(['AAAAAAAAAAAA']);
  });

  it('revokes once: the first revocation time stays', async () => {
    await store.insert(record('AAAAAAAAAAAA'));
    const first = '2026-02-01T00:00:00.000Z';
    expect((await store.revoke('AAAAAAAAAAAA', first))?.revokedAt).toBe(first);
    expect((await store.revoke('AAAAAAAAAAAA', '2026-03-01T00:00:00.000Z'))?.revokedAt).toBe(first);
    expect((await store.get('AAAAAAAAAAAA'))?.revokedAt).toBe(first);
    expect(await store.revoke('ZZZZZZZZZZZZ', first)).toBeUndefined();
  });

  it('rotates in one step: old revoked, new stored with rotatedFrom', async () => {
    await store.insert(record('AAAAAAAAAAAA'));
    const at = '2026-02-01T00:00:00.000Z';
    const replacement = record('BBBBBBBBBBBB', { rotatedFrom: 'AAAAAAAAAAAA' });
    expect(await store.rotate('AAAAAAAAAAAA', replacement, at)).toEqual(replacement);
    expect((await store.get('AAAAAAAAAAAA'))?.revokedAt).toBe(at);
    expect(await store.get('BBBBBBBBBBBB')).toEqual(replacement);

    expect(await store.rotate('AAAAAAAAAAAA', record('CCCCCCCCCCCC'), at)).toBe('revoked');
    expect(await store.rotate('ZZZZZZZZZZZZ', record('DDDDDDDDDDDD'), at)).toBeUndefined();
    expect(await store.get('CCCCCCCCCCCC')).toBeUndefined();
    expect(await store.get('DDDDDDDDDDDD')).toBeUndefined();
  });

  it('keeps every one of many concurrent changes', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `K${String(i).padStart(11, '0')}`);
    await Promise.all(ids.map((id) => store.insert(record(id))));
    await Promise.all(ids.slice(0, 10).map((id) => store.revoke(id, '2026-02-01T00:00:00.000Z')));
    const listed = await store.list();
    expect(listed).toHaveLength(20);
    expect(listed.filter((r) => r.revokedAt).length).toBe(10);
  });

  it('survives a restart', async () => {
    await store.insert(record('AAAAAAAAAAAA'));
    await store.revoke('AAAAAAAAAAAA', '2026-02-01T00:00:00.000Z');
    await store.insert(record('BBBBBBBBBBBB'));
    await store.close();
    store = await open();
    expect(await store.get('AAAAAAAAAAAA')).toEqual(
      record('AAAAAAAAAAAA', { revokedAt: '2026-02-01T00:00:00.000Z' }),
    );
    expect(await store.get('BBBBBBBBBBBB')).toEqual(record('BBBBBBBBBBBB'));
  });
}
