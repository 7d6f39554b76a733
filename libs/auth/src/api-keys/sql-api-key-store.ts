import type { ApiKeyRecord, ApiKeyStore } from './api-key-store';

/**
 * The API-key table in the control plane's database. The control plane's migrations create it
 * (control-plane/src/database/migrations/1764800000000-api-keys-table.ts); gateways sharing that
 * database and the control plane itself read and write it, nothing else does.
 */
export const API_KEYS_TABLE = 'gateway_api_keys';

// Serialises first-start bootstraps of replicas sharing one database (any constant works).
const LOCK_ID = 7_204_117_313;

const COLUMNS = 'id, tenant, scopes, name, kdf, salt, hash, created_at, revoked_at, rotated_from';

interface Row {
  id: string;
  tenant: string;
  scopes: string[];
  name: string | null;
  kdf: string;
  salt: string;
  hash: string;
  created_at: Date | string;
  revoked_at: Date | string | null;
  rotated_from: string | null;
}

/** Statements on one connection: the rows a statement returned (RETURNING included). */
export interface SqlSession {
  query<R extends object>(sql: string, parameters?: readonly unknown[]): Promise<R[]>;
}

/**
 * A Postgres database as the store needs it, whichever client reaches it: `pg` (the gateway) or a
 * TypeORM DataSource on Postgres or PGlite (the control plane).
 */
export interface SqlDatabase extends SqlSession {
  /** Runs `work` in one transaction on one connection; rolls back when it throws. */
  transaction<T>(work: (session: SqlSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The table is missing: the database has not been migrated by the control plane. */
export class ApiKeysTableMissing extends Error {
  override readonly name = 'ApiKeysTableMissing';
}

/**
 * API keys in the `gateway_api_keys` table, shared by everything that uses the database: a key
 * created, revoked or rotated by one is seen by all (each one's verification cache may still accept
 * a revoked key for up to its cache TTL). The store never creates the table: its schema belongs to
 * the control plane's migrations, so it changes in one place, in order, with the rest of the schema.
 */
export class SqlApiKeyStore implements ApiKeyStore {
  constructor(
    private readonly database: SqlDatabase,
    readonly description: string,
  ) {}

  async open(): Promise<void> {
    let exists: boolean;
    try {
      const [row] = await this.database.query<{ present: boolean }>(
        'SELECT to_regclass($1) IS NOT NULL AS present',
        [API_KEYS_TABLE],
      );
      exists = row?.present === true;
    } catch (error) {
      throw new Error(
        `the API key store (${this.description}) cannot be opened: ${(error as Error).message}`,
      );
    }
    if (!exists) {
      throw new ApiKeysTableMissing(
        `the API key store (${this.description}) cannot be opened: the table ${API_KEYS_TABLE} does not exist. ` +
          "It belongs to the control plane's migrations: start the control plane once against this database " +
          '(DATABASE_URL) so they run, then start the gateway',
      );
    }
  }

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    const rows = await this.database.query<Row>(
      `SELECT ${COLUMNS} FROM ${API_KEYS_TABLE} WHERE id = $1`,
      [id],
    );
    return rows[0] && fromRow(rows[0]);
  }

  async list(): Promise<ApiKeyRecord[]> {
    const rows = await this.database.query<Row>(
      `SELECT ${COLUMNS} FROM ${API_KEYS_TABLE} ORDER BY created_at, id`,
    );
    return rows.map(fromRow);
  }

  async insert(record: ApiKeyRecord): Promise<void> {
    await insertRecord(this.database, record);
  }

  insertIfEmpty(record: ApiKeyRecord): Promise<boolean> {
    return this.database.transaction(async (session) => {
      await session.query('SELECT pg_advisory_xact_lock($1)', [LOCK_ID]);
      const rows = await session.query(`SELECT 1 FROM ${API_KEYS_TABLE} LIMIT 1`);
      if (rows.length > 0) return false;
      await insertRecord(session, record);
      return true;
    });
  }

  async revoke(id: string, at: string): Promise<ApiKeyRecord | undefined> {
    const rows = await this.database.query<Row>(
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
    return this.database.transaction(async (session) => {
      const rows = await session.query<Row>(
        `SELECT ${COLUMNS} FROM ${API_KEYS_TABLE} WHERE id = $1 FOR UPDATE`,
        [oldId],
      );
      if (!rows[0]) return undefined;
      if (rows[0].revoked_at) return 'revoked';
      await session.query(`UPDATE ${API_KEYS_TABLE} SET revoked_at = $2 WHERE id = $1`, [
        oldId,
        at,
      ]);
      await insertRecord(session, replacement);
      return replacement;
    });
  }

  close(): Promise<void> {
    return this.database.close();
  }
}

async function insertRecord(session: SqlSession, record: ApiKeyRecord): Promise<void> {
  await session.query(
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
    createdAt: isoTime(row.created_at),
    ...(row.revoked_at !== null && { revokedAt: isoTime(row.revoked_at) }),
    ...(row.rotated_from !== null && { rotatedFrom: row.rotated_from }),
  };
}

/** `pg` parses timestamptz into a Date; other drivers may hand back the text. */
function isoTime(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}
