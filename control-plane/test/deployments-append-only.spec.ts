import { randomBytes } from 'node:crypto';
import { missingPrerequisite } from '@test-support';
import { Client } from 'pg';
import type { AppendOnlyReport } from './deployments-append-only.child';
import { createTemporaryDirectory, removeDirectory } from './support/temporary-directory';
import { runTypeScript } from './support/typescript-process';

/** SQLSTATE integrity_constraint_violation, which the trigger raises. */
const INTEGRITY_CONSTRAINT_VIOLATION = '23000';

async function probeAppendOnly(
  database: { databaseUrl: string } | { dataDir: string },
): Promise<AppendOnlyReport> {
  const result = await runTypeScript(
    'control-plane/test/deployments-append-only.child.ts',
    'databaseUrl' in database
      ? { DATABASE_URL: database.databaseUrl }
      : { CONTROL_PLANE_DATA_DIR: database.dataDir },
  );
  const line = /^APPEND_ONLY_PROBE (.*)$/m.exec(result.output);
  if (result.exitCode !== 0 || line === null) {
    throw new Error(`the append-only probe failed:\n${result.output}`);
  }
  return JSON.parse(line[1]) as AppendOnlyReport;
}

/** The database itself, not only the code, keeps revisions and decisions as they were written. */
function expectAppendOnly(report: AppendOnlyReport): void {
  for (const [statement, outcome] of Object.entries(report.rewrites)) {
    const table = statement.startsWith('revision') ? 'deployment_revisions' : 'analysis_decisions';
    expect({ statement, ...outcome }).toEqual({
      statement,
      ok: false,
      code: INTEGRITY_CONSTRAINT_VIOLATION,
      message: `${table} is append-only`,
    });
  }
  expect(Object.keys(report.rewrites)).toHaveLength(7);
  // Nothing of the refused statements reached the rows; the insert after them appended.
  expect(report.decisionsAfter).toEqual(report.decisionsBefore);
  expect(report.revisionsAfter).toHaveLength(2);
  expect(report.revisionsAfter[0]).toEqual(report.revisionsBefore[0]);
  // The pointer and the analysis' state are not history.
  expect(report.pointerMove).toEqual({ ok: true });
  expect(report.analysisUpdate).toEqual({ ok: true });
}

describe('deployment revisions and analysis decisions are append-only (PGlite)', () => {
  let dataDir: string | undefined;

  afterAll(() => removeDirectory(dataDir));

  it('refuses UPDATE, DELETE and TRUNCATE, and still appends', async () => {
    dataDir = await createTemporaryDirectory('deployments-append-only');
    expectAppendOnly(await probeAppendOnly({ dataDir }));
  });
});

/** Against a real Postgres server named by DATABASE_URL_TEST, in a schema of its own. */
describe('deployment revisions and analysis decisions are append-only (Postgres)', () => {
  const serverUrl = process.env.DATABASE_URL_TEST || undefined;
  const missing =
    serverUrl === undefined
      ? 'DATABASE_URL_TEST is not set (e.g. DATABASE_URL_TEST=postgres://postgres@127.0.0.1:5432/postgres)'
      : undefined;
  if (missingPrerequisite('a Postgres server', missing) || serverUrl === undefined) return;

  const schema = `deployments_append_only_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE SCHEMA "${schema}"`);
  });

  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it('refuses UPDATE, DELETE and TRUNCATE, and still appends', async () => {
    const url = new URL(serverUrl);
    url.searchParams.set('options', `-c search_path=${schema}`);
    expectAppendOnly(await probeAppendOnly({ databaseUrl: url.toString() }));
  });
});
