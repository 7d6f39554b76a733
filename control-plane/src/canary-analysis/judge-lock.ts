import type { DataSource } from 'typeorm';

/** Who may judge canaries now: at most one control-plane replica at a time. */
export interface JudgeLock {
  /** Runs `work` while holding the lock; undefined, without running it, when another holds it. */
  whileHeld<T>(work: () => Promise<T>): Promise<T | undefined>;
}

/** pg_advisory_lock key of the canary judge: "canaryjd" in ASCII, clear of other locks' keys. */
export const CANARY_JUDGE_LOCK_KEY = '7161126247307242084';

/**
 * A Postgres session advisory lock, tried once a tick (pg_try_advisory_lock: never waits) on a
 * connection held for the tick and released after it. Session-level, not transaction-level: the
 * judgement records its decision in its own transactions on other connections. A replica that
 * dies mid-tick loses its connection, and Postgres releases the lock with it.
 */
export class PostgresJudgeLock implements JudgeLock {
  constructor(private readonly dataSource: DataSource) {}

  async whileHeld<T>(work: () => Promise<T>): Promise<T | undefined> {
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.connect();
      const rows: unknown = await runner.query('SELECT pg_try_advisory_lock($1::bigint) AS held', [
        CANARY_JUDGE_LOCK_KEY,
      ]);
      if (!lockTaken(rows)) return undefined;
      try {
        return await work();
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1::bigint)', [CANARY_JUDGE_LOCK_KEY]);
      }
    } finally {
      await runner.release();
    }
  }
}

/**
 * PGlite: the database lives inside this process, and one process opens its data folder, so there
 * is one control plane by construction and nothing to take. A session lock would also hold
 * PGlite's single connection for the whole tick, blocking the decisions the tick records.
 */
export class InProcessJudgeLock implements JudgeLock {
  whileHeld<T>(work: () => Promise<T>): Promise<T | undefined> {
    return work();
  }
}

function lockTaken(rows: unknown): boolean {
  if (!Array.isArray(rows) || rows.length !== 1) return false;
  const row: unknown = rows[0];
  return typeof row === 'object' && row !== null && (row as { held?: unknown }).held === true;
}
