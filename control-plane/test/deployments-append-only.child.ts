/**
 * Child-process entry (PGlite cannot load inside Jest, see spawnTypeScript): migrates the database
 * named by DATABASE_URL, or else a PGlite database under CONTROL_PLANE_DATA_DIR, writes a
 * deployment, a revision, an analysis and a decision with plain SQL, then tries to rewrite the
 * history the way a bug or a hand at a SQL prompt could. Prints what each statement did as one
 * JSON line; deployments-append-only.spec.ts judges it.
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../src/database/data-source-options';
import { outcomeOf, type WriteOnceStatementOutcome } from './support/write-once-probe';

export type StatementOutcome = WriteOnceStatementOutcome;

export interface AppendOnlyReport {
  /** Each refused statement on deployment_revisions and analysis_decisions, by name. */
  rewrites: Record<string, StatementOutcome>;
  /** What stays mutable: the deployment's pointer and the analysis' state. */
  pointerMove: StatementOutcome;
  analysisUpdate: StatementOutcome;
  revisionsBefore: Record<string, unknown>[];
  revisionsAfter: Record<string, unknown>[];
  decisionsBefore: Record<string, unknown>[];
  decisionsAfter: Record<string, unknown>[];
}

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
  await dataSource.initialize(); // migrationsRun: the release's schema, triggers included
  try {
    process.stdout.write(`APPEND_ONLY_PROBE ${JSON.stringify(await probe(dataSource))}\n`);
  } finally {
    await dataSource.destroy();
  }
}

async function probe(db: DataSource): Promise<AppendOnlyReport> {
  const one = async (sql: string, parameters: unknown[] = []): Promise<string> =>
    (await db.query<{ id: string }[]>(sql, parameters))[0].id;
  const model = await one(`INSERT INTO "models" ("name") VALUES ('append-only') RETURNING "id"`);
  const deployment = await one(
    `INSERT INTO "deployments" ("model_id", "model_name") VALUES ($1, 'append-only') RETURNING "id"`,
    [model],
  );
  const insertRevision = (number: number): Promise<string> =>
    one(
      `INSERT INTO "deployment_revisions" ("deployment_id", "number", "stable_version",
         "canary_version", "canary_weight_percent", "cause", "actor_subject")
       VALUES ($1, $2, '1', '2', 10, 'create', 'key:probe') RETURNING "id"::text AS "id"`,
      [deployment, number],
    );
  const revision = await insertRevision(1);
  await db.query(`UPDATE "deployments" SET "active_revision_id" = $1 WHERE "id" = $2`, [
    revision,
    deployment,
  ]);
  const analysis = await one(
    `INSERT INTO "canary_analyses" ("deployment_id", "spec", "canary_version", "started_by")
     VALUES ($1, '{}', '2', 'key:probe') RETURNING "id"`,
    [deployment],
  );
  await db.query(
    `INSERT INTO "analysis_decisions" ("analysis_id", "iteration", "action", "reason",
       "canary_weight_percent", "measurements", "revision_id")
     VALUES ($1, 1, 'step', 'passing', 20, '[]', $2)`,
    [analysis, revision],
  );
  const rows = (table: string): Promise<Record<string, unknown>[]> =>
    db.query<Record<string, unknown>[]>(`SELECT * FROM "${table}" ORDER BY "id"`);

  const revisionsBefore = await rows('deployment_revisions');
  const decisionsBefore = await rows('analysis_decisions');
  const statements: Record<string, [string, unknown[]]> = {
    revisionUpdate: [
      `UPDATE "deployment_revisions" SET "canary_weight_percent" = 100 WHERE "id" = $1`,
      [revision],
    ],
    revisionSameValues: [
      `UPDATE "deployment_revisions" SET "stable_version" = "stable_version" WHERE "id" = $1`,
      [revision],
    ],
    revisionDelete: [`DELETE FROM "deployment_revisions" WHERE "id" = $1`, [revision]],
    revisionTruncate: [`TRUNCATE "deployment_revisions" CASCADE`, []],
    decisionUpdate: [`UPDATE "analysis_decisions" SET "action" = 'promote'`, []],
    decisionDelete: [`DELETE FROM "analysis_decisions"`, []],
    decisionTruncate: [`TRUNCATE "analysis_decisions"`, []],
  };
  const rewrites: Record<string, StatementOutcome> = {};
  for (const [name, [sql, parameters]] of Object.entries(statements)) {
    rewrites[name] = await outcomeOf(db, sql, parameters);
  }
  const second = await insertRevision(2);
  return {
    rewrites,
    pointerMove: await outcomeOf(
      db,
      `UPDATE "deployments" SET "active_revision_id" = $1 WHERE "id" = $2`,
      [second, deployment],
    ),
    analysisUpdate: await outcomeOf(
      db,
      `UPDATE "canary_analyses" SET "state" = 'aborted', "iterations" = 1 WHERE "id" = $1`,
      [analysis],
    ),
    revisionsBefore,
    revisionsAfter: await rows('deployment_revisions'),
    decisionsBefore,
    decisionsAfter: await rows('analysis_decisions'),
  };
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
