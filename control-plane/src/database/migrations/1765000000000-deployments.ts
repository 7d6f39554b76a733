import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { REVISION_CAUSES } from '../../deployments/deployment-spec';
import { ANALYSIS_ACTIONS } from '../../deployments/entities/analysis-decision.entity';
import { ANALYSIS_STATES } from '../../deployments/entities/canary-analysis.entity';

const quoted = (values: readonly string[]): string => values.map((v) => `'${v}'`).join(', ');

/** Tables whose rows are history: a trigger refuses to change or delete them. */
const APPEND_ONLY_TABLES = ['deployment_revisions', 'analysis_decisions'] as const;

/**
 * Deployments as revisions: a deployment per model points at its active revision; revisions are
 * append-only and their ids are the global routing revision. Canary analyses and their decisions
 * (append-only) beside them.
 */
export class Deployments1765000000000 implements MigrationInterface {
  name = 'Deployments1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "deployments" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "model_id" uuid NOT NULL,
        "model_name" text NOT NULL,
        "active_revision_id" bigint,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_deployments" PRIMARY KEY ("id"),
        CONSTRAINT "uq_deployments_model_id" UNIQUE ("model_id"),
        CONSTRAINT "uq_deployments_model_name" UNIQUE ("model_name"),
        CONSTRAINT "fk_deployments_model_id" FOREIGN KEY ("model_id") REFERENCES "models" ("id")
      )`);
    await queryRunner.query(`
      CREATE TABLE "deployment_revisions" (
        "id" bigint GENERATED ALWAYS AS IDENTITY,
        "deployment_id" uuid NOT NULL,
        "number" integer NOT NULL,
        "stable_version" text NOT NULL,
        "canary_version" text,
        "canary_weight_percent" numeric NOT NULL DEFAULT 0,
        "shadows" jsonb NOT NULL DEFAULT '[]',
        "sticky_key" text NOT NULL DEFAULT '',
        "tenant_overrides" jsonb NOT NULL DEFAULT '[]',
        "cause" text NOT NULL,
        "reason" text,
        "restored_from_revision_id" bigint,
        "actor_subject" text NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_deployment_revisions" PRIMARY KEY ("id"),
        CONSTRAINT "uq_deployment_revisions_deployment_id_number" UNIQUE ("deployment_id", "number"),
        CONSTRAINT "ck_deployment_revisions_canary_weight_percent" CHECK ("canary_weight_percent" >= 0 AND "canary_weight_percent" <= 100 AND ("canary_version" IS NOT NULL OR "canary_weight_percent" = 0)),
        CONSTRAINT "ck_deployment_revisions_cause" CHECK ("cause" IN (${quoted(REVISION_CAUSES)})),
        CONSTRAINT "fk_deployment_revisions_deployment_id" FOREIGN KEY ("deployment_id")
          REFERENCES "deployments" ("id"),
        CONSTRAINT "fk_deployment_revisions_restored_from_revision_id"
          FOREIGN KEY ("restored_from_revision_id") REFERENCES "deployment_revisions" ("id")
      )`);
    await queryRunner.query(`
      ALTER TABLE "deployments" ADD CONSTRAINT "fk_deployments_active_revision_id"
        FOREIGN KEY ("active_revision_id") REFERENCES "deployment_revisions" ("id")`);
    await queryRunner.query(`
      CREATE TABLE "canary_analyses" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "deployment_id" uuid NOT NULL,
        "spec" jsonb NOT NULL,
        "state" text NOT NULL DEFAULT 'running',
        "canary_version" text NOT NULL,
        "started_by" text NOT NULL,
        "started_at" timestamptz NOT NULL DEFAULT now(),
        "finished_at" timestamptz,
        "outcome_reason" text,
        "iterations" integer NOT NULL DEFAULT 0,
        "failures" integer NOT NULL DEFAULT 0,
        "passes_at_max_weight" integer NOT NULL DEFAULT 0,
        "last_decision_at" timestamptz,
        CONSTRAINT "pk_canary_analyses" PRIMARY KEY ("id"),
        CONSTRAINT "ck_canary_analyses_state" CHECK ("state" IN (${quoted(ANALYSIS_STATES)})),
        CONSTRAINT "fk_canary_analyses_deployment_id" FOREIGN KEY ("deployment_id")
          REFERENCES "deployments" ("id")
      )`);
    await queryRunner.query(`
      CREATE UNIQUE INDEX "uq_canary_analyses_running_deployment_id" ON "canary_analyses"
        ("deployment_id") WHERE "state" = 'running'`);
    await queryRunner.query(`
      CREATE INDEX "ix_canary_analyses_deployment_id_started_at" ON "canary_analyses"
        ("deployment_id", "started_at")`);
    await queryRunner.query(`
      CREATE TABLE "analysis_decisions" (
        "id" bigint GENERATED ALWAYS AS IDENTITY,
        "analysis_id" uuid NOT NULL,
        "iteration" integer NOT NULL,
        "action" text NOT NULL,
        "reason" text NOT NULL,
        "canary_weight_percent" numeric NOT NULL,
        "measurements" jsonb NOT NULL,
        "revision_id" bigint,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_analysis_decisions" PRIMARY KEY ("id"),
        CONSTRAINT "ck_analysis_decisions_action" CHECK ("action" IN (${quoted(ANALYSIS_ACTIONS)})),
        CONSTRAINT "fk_analysis_decisions_analysis_id" FOREIGN KEY ("analysis_id")
          REFERENCES "canary_analyses" ("id"),
        CONSTRAINT "fk_analysis_decisions_revision_id" FOREIGN KEY ("revision_id")
          REFERENCES "deployment_revisions" ("id")
      )`);
    await queryRunner.query(
      `CREATE INDEX "ix_analysis_decisions_analysis_id" ON "analysis_decisions" ("analysis_id")`,
    );

    await queryRunner.query(`
      CREATE FUNCTION "refuse_history_rewrite"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
      END $$`);
    for (const table of APPEND_ONLY_TABLES) {
      await queryRunner.query(`
        CREATE TRIGGER "tr_${table}_append_only" BEFORE UPDATE OR DELETE ON "${table}"
          FOR EACH ROW EXECUTE FUNCTION "refuse_history_rewrite"()`);
      await queryRunner.query(`
        CREATE TRIGGER "tr_${table}_no_truncate" BEFORE TRUNCATE ON "${table}"
          FOR EACH STATEMENT EXECUTE FUNCTION "refuse_history_rewrite"()`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "analysis_decisions"`);
    await queryRunner.query(`DROP TABLE "canary_analyses"`);
    await queryRunner.query(
      `ALTER TABLE "deployments" DROP CONSTRAINT "fk_deployments_active_revision_id"`,
    );
    await queryRunner.query(`DROP TABLE "deployment_revisions"`);
    await queryRunner.query(`DROP TABLE "deployments"`);
    await queryRunner.query(`DROP FUNCTION "refuse_history_rewrite"()`);
  }
}
