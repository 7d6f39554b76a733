import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { missingPrerequisite } from '@test-support';
import { Client } from 'pg';
import { ControlPlaneProcess } from './support/control-plane-process';
import {
  createFixtureModelRepository,
  type FixtureModelRepository,
} from './support/fixture-model-repository';
import { postGraphql } from './support/graphql-client';
import { pendingSchemaChangesOf } from './support/run-pending-schema-changes';
import { createTemporaryDirectory, removeDirectory } from './support/temporary-directory';
import { expectWriteOnceEnforced, probeWriteOnce } from './support/write-once-probe';

/**
 * Against a real Postgres server named by DATABASE_URL_TEST (CI starts one). Each run works in a
 * schema of its own, selected through the URL's `options=-c search_path=...`, and drops it after.
 */
const serverUrl = process.env.DATABASE_URL_TEST || undefined;

describe('control plane on a real Postgres server', () => {
  const missing =
    serverUrl === undefined
      ? 'DATABASE_URL_TEST is not set (e.g. DATABASE_URL_TEST=postgres://postgres@127.0.0.1:5432/postgres)'
      : undefined;
  if (missingPrerequisite('a Postgres server', missing) || serverUrl === undefined) return;
  definePostgresTests(serverUrl);
});

/** Registers the Postgres tests in the enclosing describe(). */
function definePostgresTests(url: string): void {
  const schema = `control_plane_test_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: url });
  let workDir: string | undefined;
  let fixture: FixtureModelRepository;
  let databaseUrl: string;

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE SCHEMA "${schema}"`);
    const withSchema = new URL(url);
    withSchema.searchParams.set('options', `-c search_path=${schema}`);
    databaseUrl = withSchema.toString();
    workDir = await createTemporaryDirectory('control-plane-postgres');
    fixture = await createFixtureModelRepository(path.join(workDir, 'models'));
  });

  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
    await removeDirectory(workDir);
  });

  it('migrations leave nothing for TypeORM to generate from the entities', async () => {
    expect(await pendingSchemaChangesOf({ databaseUrl })).toEqual([]);
  });

  it('registers the repository and keeps it, unduplicated, across a restart', async () => {
    const env = { DATABASE_URL: databaseUrl, MODEL_REPOSITORY: fixture.root };
    const query =
      '{ models { nodes { id name versions { nodes { id version artifactSha256 } } } } }';
    const rows = async (): Promise<Record<string, unknown>[]> =>
      (
        await admin.query<Record<string, unknown>>(
          `SELECT m.id, m.name, m.updated_at, v.id AS version_id, v.version, v.artifact_sha256
               FROM "${schema}".models m JOIN "${schema}".model_versions v ON v.model_id = m.id`,
        )
      ).rows;

    let app = await ControlPlaneProcess.start(env);
    const first = await postGraphql(app.baseUrl, query);
    await app.stop();
    const rowsAfterFirstStart = await rows();

    app = await ControlPlaneProcess.start(env);
    const second = await postGraphql(app.baseUrl, query);
    await app.stop();

    expect(first.body.data).toMatchObject({
      models: {
        nodes: [
          {
            name: 'nanodet',
            versions: { nodes: [{ version: '1', artifactSha256: fixture.artifactSha256 }] },
          },
        ],
      },
    });
    expect(second.body).toEqual(first.body);
    expect(rowsAfterFirstStart).toHaveLength(1);
    expect(await rows()).toEqual(rowsAfterFirstStart);
  }, 120_000);

  it('answers a failing database query with a typed error, its text in the log only', async () => {
    const app = await ControlPlaneProcess.start({
      DATABASE_URL: databaseUrl,
      MODEL_REPOSITORY: fixture.root,
    });
    try {
      await admin.query(`ALTER TABLE "${schema}".models RENAME TO models_elsewhere`);
      const answer = await postGraphql(app.baseUrl, '{ models { nodes { name } } }');
      expect(answer).toEqual({
        status: 200,
        body: {
          data: null,
          errors: [
            {
              message: 'the registry database could not answer this request',
              locations: [{ line: 1, column: 3 }],
              path: ['models'],
              extensions: { code: 'DATABASE_ERROR' },
            },
          ],
        },
      });
      expect(app.output).toMatch(/relation "models" does not exist \(SQLSTATE 42P01\)/);
    } finally {
      await admin.query(`ALTER TABLE "${schema}".models_elsewhere RENAME TO models`);
      await app.stop();
    }
  }, 120_000);

  it('refuses changes to write-once version columns and to audit events in the database itself', async () => {
    // A schema of its own: the probe's rows must not show up in the other tests' registry.
    const probeSchema = `${schema}_write_once`;
    await admin.query(`CREATE SCHEMA "${probeSchema}"`);
    try {
      const probeUrl = new URL(url);
      probeUrl.searchParams.set('options', `-c search_path=${probeSchema}`);
      expectWriteOnceEnforced(await probeWriteOnce({ databaseUrl: probeUrl.toString() }));
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS "${probeSchema}" CASCADE`);
    }
  });
}
