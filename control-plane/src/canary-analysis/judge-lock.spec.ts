import { missingPrerequisite } from '@test-support';
import { DataSource } from 'typeorm';
import { InProcessJudgeLock, PostgresJudgeLock } from './judge-lock';

/** Two control-plane replicas on one real Postgres server (DATABASE_URL_TEST; CI starts one). */
const serverUrl = process.env.DATABASE_URL_TEST || undefined;

describe('PostgresJudgeLock', () => {
  const missing =
    serverUrl === undefined
      ? 'DATABASE_URL_TEST is not set (e.g. DATABASE_URL_TEST=postgres://postgres@127.0.0.1:5432/postgres)'
      : undefined;
  if (missingPrerequisite('a Postgres server', missing) || serverUrl === undefined) return;

  const replicas = [0, 1].map(() => new DataSource({ type: 'postgres', url: serverUrl }));
  beforeAll(() => Promise.all(replicas.map((replica) => replica.initialize())));
  afterAll(() => Promise.all(replicas.map((replica) => replica.destroy())));

  it('lets one replica judge at a time, and the other once it is done', async () => {
    const [first, second] = replicas.map((replica) => new PostgresJudgeLock(replica));
    let release: () => void = () => undefined;
    const holding = first.whileHeld(
      () => new Promise<string>((resolve) => (release = () => resolve('first judged'))),
    );
    // Until the first has taken the lock, the second might still get it: wait for it.
    for (let attempt = 0; attempt < 50; attempt++) {
      const locks = await replicas[1].query<{ count: string }[]>(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted",
      );
      if (Number(locks[0].count) > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    let ran = false;
    await expect(second.whileHeld(() => Promise.resolve((ran = true)))).resolves.toBeUndefined();
    expect(ran).toBe(false);
    release();
    await expect(holding).resolves.toBe('first judged');
    await expect(second.whileHeld(() => Promise.resolve('second judged'))).resolves.toBe(
      'second judged',
    );
  });

  it('releases the lock when the work fails', async () => {
    const [first, second] = replicas.map((replica) => new PostgresJudgeLock(replica));
    await expect(first.whileHeld(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(second.whileHeld(() => Promise.resolve('judged'))).resolves.toBe('judged');
  });
});

describe('InProcessJudgeLock', () => {
  it('always runs the work (PGlite: one process by construction)', async () => {
    await expect(new InProcessJudgeLock().whileHeld(() => Promise.resolve(7))).resolves.toBe(7);
  });
});
