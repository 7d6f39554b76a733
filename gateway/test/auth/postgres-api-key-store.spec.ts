import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { missingPrerequisite } from '@test-support';
import { apiKeyStoreContract, record } from '../../../libs/auth/test/api-key-store-contract';
import { runControlPlaneMigrations } from './control-plane-migrations';
import {
  API_KEYS_TABLE,
  PostgresApiKeyStore,
  UNOBSERVED_CHECKS,
  type CredentialRefusal,
} from '@auth';
import { ApiKeyService } from '../../src/auth/api-keys/api-key-service';
import { loadGatewayConfig } from '../../src/config/gateway-config';

/**
 * Against the real throwaway Postgres that scripts/test.sh starts (DATABASE_URL_TEST), in a schema
 * of this run's own selected through the URL's search_path, dropped afterwards.
 */
const serverUrl = process.env.DATABASE_URL_TEST || undefined;

describe('PostgresApiKeyStore on a real Postgres server', () => {
  const missing =
    serverUrl === undefined
      ? 'DATABASE_URL_TEST is not set (e.g. DATABASE_URL_TEST=postgres://postgres@127.0.0.1:5432/postgres)'
      : undefined;
  if (missingPrerequisite('a Postgres server', missing) || serverUrl === undefined) return;

  const schema = `gateway_keys_test_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  const withSchema = new URL(serverUrl);
  withSchema.searchParams.set('options', `-c search_path=${schema}`);
  const url = withSchema.toString();

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE SCHEMA "${schema}"`);
    // The table belongs to the control plane's migrations; the store only uses it.
    await runControlPlaneMigrations(url);
  });
  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  const open = async () => {
    const store = new PostgresApiKeyStore(url);
    await store.open();
    return store;
  };
  const fresh = async () => {
    await admin.query(`TRUNCATE "${schema}".${API_KEYS_TABLE}`);
  };

  describe('the store contract', () => apiKeyStoreContract(open, fresh));

  it('refuses to open where the control plane has not migrated, saying so', async () => {
    const bare = `gateway_keys_bare_${randomBytes(4).toString('hex')}`;
    await admin.query(`CREATE SCHEMA "${bare}"`);
    try {
      const bareUrl = new URL(serverUrl);
      bareUrl.searchParams.set('options', `-c search_path=${bare}`);
      const store = new PostgresApiKeyStore(bareUrl.toString());
      const error = await store.open().catch((caught: Error) => caught);
      expect(String(error)).toMatch(
        /the table gateway_api_keys does not exist.*control plane's migrations/,
      );
      // Opening never creates it.
      const { rows } = await admin.query(`SELECT to_regclass('"${bare}".${API_KEYS_TABLE}') AS t`);
      expect(rows[0]).toEqual({ t: null });
      await store.close();
    } finally {
      await admin.query(`DROP SCHEMA "${bare}" CASCADE`);
    }
  });

  it('opens on the migrated table, even when several replicas start at once', async () => {
    await fresh();
    const stores = await Promise.all([open(), open(), open()]);
    await stores[0].insert(record('AAAAAAAAAAAA'));
    const reopened = await open();
    expect((await reopened.list()).map((r) => r.id)).toEqual(['AAAAAAAAAAAA']);
    await Promise.all([...stores, reopened].map((store) => store.close()));
  });

  it('lets only one of several replicas create the first-start key', async () => {
    await fresh();
    const stores = await Promise.all([open(), open(), open(), open()]);
    const created = await Promise.all(
      stores.map((store, i) => store.insertIfEmpty(record(`FIRST${String(i).padStart(7, '0')}`))),
    );
    expect(created.filter(Boolean)).toHaveLength(1);
    expect(await stores[0].list()).toHaveLength(1);
    await Promise.all(stores.map((store) => store.close()));
  });

  it('stores the hash and salt, never a key, in its own table', async () => {
    await fresh();
    const store = await open();
    await store.insert(record('AAAAAAAAAAAA'));
    const { rows } = await admin.query<Record<string, unknown>>(
      `SELECT * FROM "${schema}".${API_KEYS_TABLE}`,
    );
    expect(Object.keys(rows[0]).sort()).toEqual([
      'created_at',
      'hash',
      'id',
      'kdf',
      'name',
      'revoked_at',
      'rotated_from',
      'salt',
      'scopes',
      'tenant',
    ]);
    await store.close();
  });

  it('two replicas: a key each has verified (known good, cached) stops working on the other within the cache TTL once revoked', async () => {
    await fresh();
    const cacheTtlMs = 300;
    const replica = async () => {
      const store = await open();
      const config = loadGatewayConfig({
        GATEWAY_API_KEY_CACHE_TTL_MS: String(cacheTtlMs),
      }).auth;
      return { store, keys: new ApiKeyService(store, config, UNOBSERVED_CHECKS) };
    };
    const [a, b] = [await replica(), await replica()];
    try {
      const issued = await a.keys.create({ tenant: 'team-a', scopes: ['infer:*'] });
      for (const { keys } of [a, b]) {
        expect(await keys.verify(issued.key, '10.0.0.1')).toMatchObject({ tenant: 'team-a' });
      }
      await a.keys.revoke(issued.id);
      const refused = (replicaKeys: ApiKeyService) =>
        replicaKeys.verify(issued.key).then(
          () => false,
          (error: CredentialRefusal) => error.message === `API key '${issued.id}' was revoked`,
        );
      expect(await refused(a.keys)).toBe(true);
      // b may still answer from its verification cache, but only until the TTL has passed.
      await sleep(cacheTtlMs + 50);
      expect(await refused(b.keys)).toBe(true);
    } finally {
      await Promise.all([a.store.close(), b.store.close()]);
    }
  });

  it('fails to open with an error naming the server, not its password', async () => {
    const store = new PostgresApiKeyStore('postgres://user:hunter2@127.0.0.1:1/db');
    const error = await store.open().catch((caught: Error) => caught);
    expect(String(error)).toMatch(
      /the API key store \(Postgres 127\.0\.0\.1:1\/db table gateway_api_keys\) cannot be opened/,
    );
    expect(String(error)).not.toContain('hunter2');
    await store.close();
  });
});
