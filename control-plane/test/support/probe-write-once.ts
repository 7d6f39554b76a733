/**
 * Child-process entry (PGlite cannot load inside Jest, see spawnTypeScript): migrates the database
 * named by DATABASE_URL, or else a PGlite database under CONTROL_PLANE_DATA_DIR, inserts a model,
 * a version and an audit event with plain SQL, then tries to change them the way a bug or a hand
 * at a SQL prompt could. Prints what each statement did as one JSON line; the spec judges it.
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { WRITE_ONCE_VERSION_COLUMNS } from '../../src/database/migrations/1764900000000-model-lifecycle';
import {
  outcomeOf,
  type WriteOnceProbeReport,
  type WriteOnceStatementOutcome,
} from './write-once-probe';

type WriteOnceColumn = (typeof WRITE_ONCE_VERSION_COLUMNS)[number];

/**
 * A new value for every write-once column, as SQL over the version row. A Record over the column
 * list, so a column added to the list without a probe here does not compile.
 */
const CHANGES: Record<WriteOnceColumn, string> = {
  model_id: `(SELECT "id" FROM "models" WHERE "name" = 'write-once-other')`,
  version: `'99'`,
  artifact_sha256: `repeat('b', 64)`,
  artifact_size_bytes: `"artifact_size_bytes" + 1`,
  artifact_filename: `'other.onnx'`,
  config_text: `"config_text" || ' # changed'`,
  platform: `'tensorrt_plan'`,
  backend: `'tensorrt'`,
  max_batch_size: `"max_batch_size" + 1`,
  inputs: `'[]'::jsonb`,
  outputs: `'[]'::jsonb`,
  labels: `'["other"]'::jsonb`,
  source: `'mlflow'`,
  parent_version_id: `(SELECT "id" FROM "model_versions" WHERE "version" = 'parent')`,
  parent_relation: `'retrained'`,
  code_revision: `'rewritten'`,
  mlflow_run_id: `'write-once-run'`,
  registered_by: `'someone-else'`,
  created_at: `"created_at" - interval '1 day'`,
};

async function main(): Promise<void> {
  const dataDir = process.env.CONTROL_PLANE_DATA_DIR;
  const databaseUrl = process.env.DATABASE_URL;
  if (databaseUrl === undefined && dataDir === undefined) {
    throw new Error('set DATABASE_URL or CONTROL_PLANE_DATA_DIR');
  }
  const dataSource = new DataSource({
    ...buildDataSourceOptions({ databaseUrl, dataDir: dataDir ?? '' }),
    logging: false,
  });
  await dataSource.initialize(); // migrationsRun: the schema of the release, triggers included
  try {
    const report = await probe(dataSource);
    process.stdout.write(`WRITE_ONCE_PROBE ${JSON.stringify(report)}\n`);
  } finally {
    await dataSource.destroy();
  }
}

async function probe(db: DataSource): Promise<WriteOnceProbeReport> {
  const [model] = await db.query<{ id: string }[]>(
    `INSERT INTO "models" ("name") VALUES ('write-once-probe') RETURNING "id"`,
  );
  await db.query(`INSERT INTO "models" ("name") VALUES ('write-once-other')`);
  await db.query(
    `INSERT INTO "mlflow_runs" ("run_id", "tracking_uri", "experiment_id", "params", "metrics", "tags")
     VALUES ('write-once-run', 'http://mlflow.test', '0', '{}', '{}', '{}')`,
  );
  const insertVersion = async (version: string): Promise<string> => {
    const [row] = await db.query<{ id: string }[]>(
      `INSERT INTO "model_versions" ("model_id", "version", "artifact_sha256", "artifact_size_bytes",
         "artifact_filename", "config_text", "platform", "backend", "max_batch_size", "inputs",
         "outputs", "labels", "served", "source", "status", "registered_by")
       VALUES ($1, $2, repeat('a', 64), 1234, 'model.onnx', 'name: "write-once-probe"',
         'onnxruntime_onnx', 'onnxruntime', 8,
         '[{"name":"images","datatype":"FP32","dims":[3,416,416]}]',
         '[{"name":"scores","datatype":"FP32","dims":[80]}]', '["person"]', false, 'upload',
         'ready', 'key:probe')
       RETURNING "id"`,
      [model.id, version],
    );
    return row.id;
  };
  await insertVersion('parent');
  const versionId = await insertVersion('1');
  const [audit] = await db.query<{ id: string }[]>(
    `INSERT INTO "audit_events" ("actor_subject", "actor_tenant", "action", "subject_type",
       "subject_id", "after")
     VALUES ('key:probe', 'default', 'model-version.register', 'model-version', $1, '{}')
     RETURNING "id"`,
    [versionId],
  );
  const versionRow = (): Promise<Record<string, unknown>> =>
    db
      .query<Record<string, unknown>[]>(`SELECT * FROM "model_versions" WHERE "id" = $1`, [
        versionId,
      ])
      .then((rows) => rows[0]);
  const auditRows = (): Promise<Record<string, unknown>[]> =>
    db.query<Record<string, unknown>[]>(`SELECT * FROM "audit_events" ORDER BY "id"`);

  const versionBefore = await versionRow();
  const writeOnce: Record<string, WriteOnceStatementOutcome> = {};
  for (const column of WRITE_ONCE_VERSION_COLUMNS) {
    writeOnce[column] = await outcomeOf(
      db,
      `UPDATE "model_versions" SET "${column}" = ${CHANGES[column]} WHERE "id" = $1`,
      [versionId],
    );
  }
  const versionAfterRefusals = await versionRow();
  // What an ORM save of an unchanged row does: the trigger compares values, not column lists.
  const sameValues = await outcomeOf(
    db,
    `UPDATE "model_versions" SET ${WRITE_ONCE_VERSION_COLUMNS.map((c) => `"${c}" = "${c}"`).join(', ')}
      WHERE "id" = $1`,
    [versionId],
  );
  const mutable = await outcomeOf(
    db,
    `UPDATE "model_versions"
        SET "status" = 'archived', "status_reason" = 'retired by the probe',
            "status_changed_at" = now(), "model_card" = '# probe card',
            "description" = 'described', "tags" = '{"stage":"retired"}', "served" = true,
            "drifted_sha256" = repeat('c', 64)
      WHERE "id" = $1`,
    [versionId],
  );
  const versionAfterMutable = await versionRow();

  const auditBefore = await auditRows();
  const auditUpdate = await outcomeOf(
    db,
    `UPDATE "audit_events" SET "action" = 'model-version.forged' WHERE "id" = $1`,
    [audit.id],
  );
  const auditDelete = await outcomeOf(db, `DELETE FROM "audit_events" WHERE "id" = $1`, [audit.id]);
  const auditDeleteAll = await outcomeOf(db, `DELETE FROM "audit_events"`, []);
  const auditInsert = await outcomeOf(
    db,
    `INSERT INTO "audit_events" ("actor_subject", "actor_tenant", "action", "subject_type",
       "subject_id") VALUES ('key:probe', 'default', 'model-version.archived', 'model-version', $1)`,
    [versionId],
  );

  return {
    writeOnce,
    sameValues,
    mutable,
    versionBefore,
    versionAfterRefusals,
    versionAfterMutable,
    auditUpdate,
    auditDelete,
    auditDeleteAll,
    auditInsert,
    auditBefore,
    auditAfter: await auditRows(),
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
