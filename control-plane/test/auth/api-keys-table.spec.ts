import { randomBytes } from 'node:crypto';
import { API_KEYS_TABLE, SqlApiKeyStore } from '@auth';
import { missingPrerequisite } from '@test-support';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { apiKeyStoreContract, record } from '../../../libs/auth/test/api-key-store-contract';
import { TypeormSqlDatabase } from '../../src/auth/typeorm-sql-database';
import { buildDataSourceOptions } from '../../src/database/data-source-options';

const COLUMNS = [
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
];

export async function columnsOf(dataSource: DataSource): Promise<string[]> {
  const rows: { column_name: string }[] = await dataSource.query(
    `SELECT column_name FROM information_schema.columns
     WHERE table_name = $1 AND table_schema = current_schema() ORDER BY column_name`,
    [API_KEYS_TABLE],
  );
  return rows.map((row) => row.column_name);
}

// On PGlite (which cannot load inside Jest) the probe child of authentication.e2e.spec.ts reports
// the columns, and its keys go through the same store.
const serverUrl = process.env.DATABASE_URL_TEST || undefined;

describe('the API-key table under the control plane migrations (Postgres server)', () => {
  const missing =
    serverUrl === undefined
      ? 'DATABASE_URL_TEST is not set (e.g. DATABASE_URL_TEST=postgres://postgres@127.0.0.1:5432/postgres)'
      : undefined;
  if (missingPrerequisite('a Postgres server', missing) || serverUrl === undefined) return;

  const admin = new Client({ connectionString: serverUrl });
  const schemas: string[] = [];
  beforeAll(() => admin.connect());
  afterAll(async () => {
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  const migrated = async (prepare?: (schema: string) => Promise<void>) => {
    const schema = `cp_api_keys_${randomBytes(4).toString('hex')}`;
    schemas.push(schema);
    await admin.query(`CREATE SCHEMA "${schema}"`);
    await prepare?.(schema);
    const url = new URL(serverUrl);
    url.searchParams.set('options', `-c search_path=${schema}`);
    const dataSource = new DataSource(
      buildDataSourceOptions({ databaseUrl: url.toString(), dataDir: '' }),
    );
    await dataSource.initialize();
    return dataSource;
  };

  it('creates the table in a fresh database', async () => {
    const dataSource = await migrated();
    expect(await columnsOf(dataSource)).toEqual(COLUMNS);
    await dataSource.destroy();
  });

  describe('the control plane key store (TypeORM) on it meets the store contract', () => {
    let dataSource: DataSource | undefined;
    afterAll(() => dataSource?.destroy());
    const open = async () => {
      dataSource ??= await migrated();
      const store = new SqlApiKeyStore(new TypeormSqlDatabase(dataSource), 'Postgres');
      await store.open();
      return store;
    };
    const fresh = async () => {
      dataSource ??= await migrated();
      await dataSource.query(`TRUNCATE ${API_KEYS_TABLE}`);
    };
    apiKeyStoreContract(open, fresh);
  });

  it('keeps the table and its keys where a gateway created it before the migration existed', async () => {
    const old = record('OLDGATEWAY01');
    const dataSource = await migrated(async (schema) => {
      // What a gateway's store ran at start before the table came under the migrations.
      await admin.query(`CREATE TABLE "${schema}".gateway_api_keys (
        id text PRIMARY KEY, tenant text NOT NULL, scopes text[] NOT NULL, name text,
        kdf text NOT NULL, salt text NOT NULL, hash text NOT NULL,
        created_at timestamptz NOT NULL, revoked_at timestamptz, rotated_from text)`);
      await admin.query(
        `INSERT INTO "${schema}".gateway_api_keys (id, tenant, scopes, kdf, salt, hash, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [
          old.id,
          old.tenant,
          old.scopes,
          old.secret.kdf,
          old.secret.salt,
          old.secret.hash,
          old.createdAt,
        ],
      );
    });
    const store = new SqlApiKeyStore(new TypeormSqlDatabase(dataSource), 'Postgres');
    await store.open();
    expect(await store.get(old.id)).toMatchObject({ id: old.id, tenant: old.tenant });
    await dataSource.destroy();
  });
});
