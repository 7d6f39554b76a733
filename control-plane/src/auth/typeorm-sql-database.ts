import type { SqlDatabase, SqlSession } from '@auth';
import type { DataSource, QueryRunner } from 'typeorm';

/**
 * libs/auth's SQL key store over the control plane's TypeORM DataSource, so the key table is read
 * through the same connection pool on Postgres and the same embedded database on PGlite.
 */
export class TypeormSqlDatabase implements SqlDatabase {
  constructor(private readonly dataSource: DataSource) {}

  async query<R extends object>(sql: string, parameters?: readonly unknown[]): Promise<R[]> {
    const runner = this.dataSource.createQueryRunner();
    try {
      return await rowsOf<R>(runner, sql, parameters);
    } finally {
      await runner.release();
    }
  }

  transaction<T>(work: (session: SqlSession) => Promise<T>): Promise<T> {
    return this.dataSource.transaction((manager) => {
      // A transaction's manager always carries the runner the transaction holds.
      const runner = manager.queryRunner as QueryRunner;
      return work({ query: (sql, parameters) => rowsOf(runner, sql, parameters) });
    });
  }

  /** The DataSource belongs to the database module, which closes it. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

async function rowsOf<R extends object>(
  runner: QueryRunner,
  sql: string,
  parameters: readonly unknown[] = [],
): Promise<R[]> {
  // Structured: `records` are the rows for every statement (plain results of UPDATE are [rows, count]).
  const result = await runner.query(sql, [...parameters], true);
  return (result as { records: R[] }).records;
}
