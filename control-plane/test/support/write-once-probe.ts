import type { DataSource } from 'typeorm';
import { runTypeScript } from './typescript-process';

/** How one SQL statement of the probe ended: done, or refused with the server's message and SQLSTATE. */
export type WriteOnceStatementOutcome =
  { ok: true } | { ok: false; message: string; code: string | null };

/** What probe-write-once.ts did to a freshly migrated database. */
export interface WriteOnceProbeReport {
  /** One UPDATE per write-once column of model_versions, each changing only that column. */
  writeOnce: Record<string, WriteOnceStatementOutcome>;
  /** Every write-once column set to its own value. */
  sameValues: WriteOnceStatementOutcome;
  /** status, status_reason, model_card, description, tags, served and drift changed at once. */
  mutable: WriteOnceStatementOutcome;
  versionBefore: Record<string, unknown>;
  versionAfterRefusals: Record<string, unknown>;
  versionAfterMutable: Record<string, unknown>;
  auditUpdate: WriteOnceStatementOutcome;
  auditDelete: WriteOnceStatementOutcome;
  auditDeleteAll: WriteOnceStatementOutcome;
  auditInsert: WriteOnceStatementOutcome;
  auditBefore: Record<string, unknown>[];
  auditAfter: Record<string, unknown>[];
}

/** Runs probe-write-once.ts in a child process (see spawnTypeScript for why) and reads its report. */
export async function probeWriteOnce(
  database: { databaseUrl: string } | { dataDir: string },
): Promise<WriteOnceProbeReport> {
  const result = await runTypeScript(
    'control-plane/test/support/probe-write-once.ts',
    'databaseUrl' in database
      ? { DATABASE_URL: database.databaseUrl }
      : { CONTROL_PLANE_DATA_DIR: database.dataDir },
  );
  const line = /^WRITE_ONCE_PROBE (.*)$/m.exec(result.output);
  if (result.exitCode !== 0 || line === null) {
    throw new Error(`the write-once probe failed:\n${result.output}`);
  }
  return JSON.parse(line[1]) as WriteOnceProbeReport;
}

const WRITE_ONCE_REFUSAL = /^model version [0-9a-f-]{36} is write-once$/;
const APPEND_ONLY_REFUSAL = /^the audit log is append-only$/;
/** SQLSTATE integrity_constraint_violation, which both triggers raise. */
const INTEGRITY_CONSTRAINT_VIOLATION = '23000';

/** The database itself, not only the code, keeps versions write-once and the audit append-only. */
export function expectWriteOnceEnforced(report: WriteOnceProbeReport): void {
  const refused = { ok: false, code: INTEGRITY_CONSTRAINT_VIOLATION };
  for (const [column, outcome] of Object.entries(report.writeOnce)) {
    expect({ column, ...outcome }).toEqual({
      column,
      ...refused,
      message: expect.stringMatching(WRITE_ONCE_REFUSAL),
    });
  }
  // Nothing of the refused statements reached the row.
  expect(report.versionAfterRefusals).toEqual(report.versionBefore);

  expect(report.sameValues).toEqual({ ok: true });
  expect(report.mutable).toEqual({ ok: true });
  expect(report.versionAfterMutable).toMatchObject({
    status: 'archived',
    status_reason: 'retired by the probe',
    model_card: '# probe card',
    description: 'described',
    tags: { stage: 'retired' },
    served: true,
    drifted_sha256: 'c'.repeat(64),
  });
  const { versionBefore } = report;
  for (const column of Object.keys(report.writeOnce)) {
    expect({ column, value: report.versionAfterMutable[column] }).toEqual({
      column,
      value: versionBefore[column],
    });
  }

  const appendOnly = { ...refused, message: expect.stringMatching(APPEND_ONLY_REFUSAL) };
  expect(report.auditUpdate).toEqual(appendOnly);
  expect(report.auditDelete).toEqual(appendOnly);
  expect(report.auditDeleteAll).toEqual(appendOnly);
  expect(report.auditInsert).toEqual({ ok: true });
  expect(report.auditBefore).toHaveLength(1);
  // The refused rewrites left the first event as it was; the insert appended a second.
  expect(report.auditAfter).toHaveLength(2);
  expect(report.auditAfter[0]).toEqual(report.auditBefore[0]);
  expect(report.auditAfter[1]).toMatchObject({ action: 'model-version.archived' });
}

/** Runs one statement on its own (autocommit) and says how it ended. */
export async function outcomeOf(
  db: DataSource,
  sql: string,
  parameters: unknown[],
): Promise<WriteOnceStatementOutcome> {
  try {
    await db.query(sql, parameters);
    return { ok: true };
  } catch (error) {
    const driverError = (error as { driverError?: { code?: unknown } }).driverError;
    return {
      ok: false,
      message: error instanceof Error ? error.message : String(error),
      code: typeof driverError?.code === 'string' ? driverError.code : null,
    };
  }
}
