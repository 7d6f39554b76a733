import { Logger } from '@nestjs/common';
import { Pool, type PoolClient } from 'pg';
import {
  API_KEYS_TABLE,
  SqlApiKeyStore,
  type SqlDatabase,
  type SqlSession,
} from './sql-api-key-store';

/**
 * The API-key table through `pg` (a gateway's GATEWAY_DATABASE_URL, the control plane's
 * database), shared by every gateway replica.
 */
export class PostgresApiKeyStore extends SqlApiKeyStore {
  constructor(url: string) {
    super(new PgDatabase(url), describe(url));
  }
}

function describe(url: string): string {
  const parsed = new URL(url);
  return `Postgres ${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname} table ${API_KEYS_TABLE}`;
}

class PgDatabase implements SqlDatabase {
  private readonly pool: Pool;
  private readonly logger = new Logger('ApiKeyStore');

  constructor(url: string) {
    this.pool = new Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 5000 });
    // An idle connection dropped by the server must not crash the process; the next query reconnects.
    this.pool.on('error', (error) =>
      this.logger.warn(`Postgres connection lost: ${error.message}`),
    );
  }

  query<R extends object>(sql: string, parameters?: readonly unknown[]): Promise<R[]> {
    return rowsOf<R>(this.pool, sql, parameters);
  }

  async transaction<T>(work: (session: SqlSession) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work({ query: (sql, parameters) => rowsOf(client, sql, parameters) });
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

async function rowsOf<R extends object>(
  client: Pool | PoolClient,
  sql: string,
  parameters: readonly unknown[] = [],
): Promise<R[]> {
  // pg's Row type parameter requires QueryResultRow (an index signature); R is the caller's claim.
  const { rows } = await client.query(sql, [...parameters]);
  return rows as R[];
}
