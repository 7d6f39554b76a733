import { Logger } from '@nestjs/common';
import { Pool, type PoolClient } from 'pg';
import type { ApiKeyRecord, ApiKeyStore } from './api-key-store';

/** The gateway owns this one table in the control plane's database; nothing else writes it. */
export const API_KEYS_TABLE = 'gateway_api_keys';

// Serialises the gateway replicas' table creation and first-start bootstrap (any constant works).
const LOCK_ID = 7_204_117_313;

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS ${API_KEYS_TABLE} (
  id text PRIMARY KEY,
  tenant text NOT NULL,
  scopes text[] NOT NULL,
  name text,
  kdf text NOT NULL,
  salt text NOT NULL,
  hash text NOT NULL,
  created_at timestamptz NOT NULL,
  revoked_at timestamptz,
  rotated_from text
)`;

const COLUMNS = 'id, tenant, scopes, name, kdf, salt, hash, created_at, revoked_at, rotated_from';

interface Row {
  id: string;
  tenant: string;
  scopes: string[];
  name: string | null;
  kdf: string;
  salt: string;
  hash: string;
  created_at: Date;
  revoked_at: Date | null;
  rotated_from: string | null;
}

/**
 * API keys in Postgres (GATEWAY_DATABASE_URL, the control plane's database), shared by every gateway
 * replica: a key created, revoked or rotated on one is seen by all (each replica's verification
 * cache may still accept a revoked key for up to GATEWAY_API_KEY_CACHE_TTL_MS).
 */
export class PostgresApiKeyStore implements ApiKeyStore {
  private readonly pool: Pool;
  private readonly logger = new Logger('ApiKeyStore');

  constructor(private readonly url: string) {
    this.pool = new Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 5000 });
    // An idle connection dropped by the server must not crash the process; the next query reconnects.
    this.pool.on('error', (error) =>
      this.logger.warn(`Postgres connection lost: ${error.message}`),
    );
  }

  get description(): string {
    const url = new URL(this.url);
    return `Postgres ${url.hostname}:${url.port || '5432'}${url.pathname} table ${API_KEYS_TABLE}`;
  }

  async open(): Promise<void> {
    try {
      await this.transaction(async (client) => {
        await client.query('SELECT pg_advisory_xact_lock($1)', [LOCK_ID]);
        await client.query(CREATE_TABLE);
      });
    } catch (error) {
      throw new Error(
        `the API key store (${this.description}) cannot be opened: ${(error as Error).message}`,
      );
    }
  }

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM ${API_KEYS_TABLE} WHERE id = $1`,
      [id],
    );
    return rows[0] && fromRow(rows[0]);
  }

  async list(): Promise<ApiKeyRecord[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM ${API_KEYS_TABLE} ORDER BY created_at, id`,
    );
    return rows.map(fromRow);
  }

  async insert(record: ApiKeyRecord): Promise<void> {
    await insertRecord(this.pool, record);
  }

  insertIfEmpty(record: ApiKeyRecord): Promise<boolean> {
    return this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [LOCK_ID]);
      const { rows } = await client.query(`SELECT 1 FROM ${API_KEYS_TABLE} LIMIT 1`);
      if (rows.length > 0) return false;
      await insertRecord(client, record);
      return true;
    });
  }

  async revoke(id: string, at: string): Promise<ApiKeyRecord | undefined> {
    const { rows } = await this.pool.query<Row>(
      `UPDATE ${API_KEYS_TABLE} SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1
       RETURNING ${COLUMNS}`,
      [id, at],
    );
    return rows[0] && fromRow(rows[0]);
  }

  rotate(
    oldId: string,
    replacement: ApiKeyRecord,
    at: string,
  ): Promise<ApiKeyRecord | 'revoked' | undefined> {
    return this.transaction(async (client) => {
      const { rows } = await client.query<Row>(
        `SELECT ${COLUMNS} FROM ${API_KEYS_TABLE} WHERE id = $1 FOR UPDATE`,
        [oldId],
      );
      if (!rows[0]) return undefined;
      if (rows[0].revoked_at) return 'revoked';
      await client.query(`UPDATE ${API_KEYS_TABLE} SET revoked_at = $2 WHERE id = $1`, [oldId, at]);
      await insertRecord(client, replacement);
      return replacement;
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}

async function insertRecord(
  client: Pick<PoolClient, 'query'>,
  record: ApiKeyRecord,
): Promise<void> {
  await client.query(
    `INSERT INTO ${API_KEYS_TABLE} (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      record.id,
      record.tenant,
      record.scopes,
      record.name ?? null,
      record.secret.kdf,
      record.secret.salt,
      record.secret.hash,
      record.createdAt,
      record.revokedAt ?? null,
      record.rotatedFrom ?? null,
    ],
  );
}

function fromRow(row: Row): ApiKeyRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    scopes: row.scopes,
    ...(row.name !== null && { name: row.name }),
    secret: { kdf: row.kdf, salt: row.salt, hash: row.hash },
    createdAt: row.created_at.toISOString(),
    ...(row.revoked_at !== null && { revokedAt: row.revoked_at.toISOString() }),
    ...(row.rotated_from !== null && { rotatedFrom: row.rotated_from }),
  };
}
