import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** Columns of a version that no write may change once the row exists: an id always means the same bytes. */
export const WRITE_ONCE_VERSION_COLUMNS = [
  'model_id',
  'version',
  'artifact_sha256',
  'artifact_size_bytes',
  'artifact_filename',
  'config_text',
  'platform',
  'backend',
  'max_batch_size',
  'inputs',
  'outputs',
  'labels',
  'source',
  'parent_version_id',
  'parent_relation',
  'code_revision',
  'mlflow_run_id',
  'registered_by',
  'created_at',
] as const;

/**
 * The model lifecycle: identity on the model, the signature and config snapshot on write-once
 * versions (enforced by a trigger, not only by the code), status, aliases, tags and model cards,
 * lineage to MLflow runs and datasets, and an append-only audit.
 */
export class ModelLifecycle1764900000000 implements MigrationInterface {
  name = 'ModelLifecycle1764900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE "models"
        ADD COLUMN "task" text NOT NULL DEFAULT 'object-detection',
        ADD COLUMN "owner" text,
        ADD COLUMN "description" text`);
    await queryRunner.query(`
      ALTER TABLE "model_versions"
        ADD COLUMN "platform" text,
        ADD COLUMN "backend" text,
        ADD COLUMN "max_batch_size" integer,
        ADD COLUMN "inputs" jsonb,
        ADD COLUMN "outputs" jsonb,
        ADD COLUMN "labels" jsonb,
        ADD COLUMN "artifact_filename" text NOT NULL DEFAULT 'model.onnx',
        ADD COLUMN "status" text NOT NULL DEFAULT 'ready',
        ADD COLUMN "status_reason" text,
        ADD COLUMN "status_changed_at" timestamptz NOT NULL DEFAULT now(),
        ADD COLUMN "description" text,
        ADD COLUMN "model_card" text,
        ADD COLUMN "tags" jsonb NOT NULL DEFAULT '{}',
        ADD COLUMN "drifted_sha256" character(64),
        ADD COLUMN "parent_version_id" uuid,
        ADD COLUMN "parent_relation" text,
        ADD COLUMN "code_revision" text,
        ADD COLUMN "mlflow_run_id" text,
        ADD COLUMN "registered_by" text,
        ALTER COLUMN "artifact_path" DROP NOT NULL`);
    // The signature moves from the model to every version it was registered with.
    await queryRunner.query(`
      UPDATE "model_versions" v
         SET "platform" = m."platform", "backend" = m."backend",
             "max_batch_size" = m."max_batch_size", "inputs" = m."inputs",
             "outputs" = m."outputs", "labels" = m."labels",
             "artifact_filename" = regexp_replace(v."artifact_path", '^.*/', '')
        FROM "models" m WHERE v."model_id" = m."id"`);
    await queryRunner.query(`
      ALTER TABLE "model_versions"
        ALTER COLUMN "platform" SET NOT NULL,
        ALTER COLUMN "backend" SET NOT NULL,
        ALTER COLUMN "max_batch_size" SET NOT NULL,
        ALTER COLUMN "inputs" SET NOT NULL,
        ALTER COLUMN "outputs" SET NOT NULL,
        ALTER COLUMN "artifact_filename" DROP DEFAULT,
        ADD CONSTRAINT "ck_model_versions_status"
          CHECK ("status" IN ('registered', 'validating', 'ready', 'failed', 'archived')),
        ADD CONSTRAINT "ck_model_versions_parent_relation"
          CHECK ("parent_relation" IN ('fine-tuned', 'converted', 'quantised', 'retrained')),
        ADD CONSTRAINT "fk_model_versions_parent_version_id" FOREIGN KEY ("parent_version_id")
          REFERENCES "model_versions" ("id")`);
    await queryRunner.query(`
      ALTER TABLE "models"
        DROP COLUMN "platform", DROP COLUMN "backend", DROP COLUMN "max_batch_size",
        DROP COLUMN "inputs", DROP COLUMN "outputs", DROP COLUMN "labels"`);
    await queryRunner.query(`
      CREATE FUNCTION "refuse_version_rewrite"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF ${WRITE_ONCE_VERSION_COLUMNS.map((c) => `NEW."${c}" IS DISTINCT FROM OLD."${c}"`).join(' OR ')} THEN
          RAISE EXCEPTION 'model version % is write-once', OLD."id" USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER "tr_model_versions_write_once" BEFORE UPDATE ON "model_versions"
        FOR EACH ROW EXECUTE FUNCTION "refuse_version_rewrite"()`);

    await queryRunner.query(`
      CREATE TABLE "model_aliases" (
        "model_id" uuid NOT NULL,
        "alias" text NOT NULL,
        "version_id" uuid NOT NULL,
        "updated_by" text NOT NULL,
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_model_aliases" PRIMARY KEY ("model_id", "alias"),
        CONSTRAINT "fk_model_aliases_model_id" FOREIGN KEY ("model_id")
          REFERENCES "models" ("id") ON DELETE CASCADE,
        CONSTRAINT "fk_model_aliases_version_id" FOREIGN KEY ("version_id")
          REFERENCES "model_versions" ("id")
      )`);

    await queryRunner.query(`
      CREATE TABLE "mlflow_runs" (
        "run_id" text NOT NULL,
        "tracking_uri" text NOT NULL,
        "experiment_id" text NOT NULL,
        "experiment_name" text,
        "status" text,
        "start_time" timestamptz,
        "end_time" timestamptz,
        "params" jsonb NOT NULL,
        "metrics" jsonb NOT NULL,
        "tags" jsonb NOT NULL,
        "artifact_uri" text,
        "recorded_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_mlflow_runs" PRIMARY KEY ("run_id")
      )`);
    await queryRunner.query(`
      ALTER TABLE "model_versions" ADD CONSTRAINT "fk_model_versions_mlflow_run_id"
        FOREIGN KEY ("mlflow_run_id") REFERENCES "mlflow_runs" ("run_id")`);
    await queryRunner.query(`
      CREATE TABLE "datasets" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "name" text NOT NULL,
        "digest" text NOT NULL,
        "source" text,
        "source_type" text,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_datasets" PRIMARY KEY ("id"),
        CONSTRAINT "uq_datasets_name_digest" UNIQUE ("name", "digest")
      )`);
    await queryRunner.query(`
      CREATE TABLE "model_version_datasets" (
        "version_id" uuid NOT NULL,
        "dataset_id" uuid NOT NULL,
        "context" text NOT NULL DEFAULT 'training',
        CONSTRAINT "pk_model_version_datasets" PRIMARY KEY ("version_id", "dataset_id", "context"),
        CONSTRAINT "fk_model_version_datasets_version_id" FOREIGN KEY ("version_id")
          REFERENCES "model_versions" ("id") ON DELETE CASCADE,
        CONSTRAINT "fk_model_version_datasets_dataset_id" FOREIGN KEY ("dataset_id")
          REFERENCES "datasets" ("id")
      )`);
    await queryRunner.query(
      `CREATE INDEX "ix_model_version_datasets_dataset_id" ON "model_version_datasets" ("dataset_id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_model_versions_parent_version_id" ON "model_versions" ("parent_version_id")`,
    );

    await queryRunner.query(`
      CREATE TABLE "audit_events" (
        "id" bigint GENERATED ALWAYS AS IDENTITY,
        "occurred_at" timestamptz NOT NULL DEFAULT now(),
        "actor_subject" text NOT NULL,
        "actor_tenant" text NOT NULL,
        "request_id" text,
        "action" text NOT NULL,
        "subject_type" text NOT NULL,
        "subject_id" text NOT NULL,
        "before" jsonb,
        "after" jsonb,
        CONSTRAINT "pk_audit_events" PRIMARY KEY ("id")
      )`);
    await queryRunner.query(
      `CREATE INDEX "ix_audit_events_subject" ON "audit_events" ("subject_type", "subject_id")`,
    );
    await queryRunner.query(`
      CREATE FUNCTION "refuse_audit_rewrite"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the audit log is append-only' USING ERRCODE = 'integrity_constraint_violation';
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER "tr_audit_events_append_only" BEFORE UPDATE OR DELETE ON "audit_events"
        FOR EACH ROW EXECUTE FUNCTION "refuse_audit_rewrite"()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "audit_events"`);
    await queryRunner.query(`DROP FUNCTION "refuse_audit_rewrite"()`);
    await queryRunner.query(`DROP TABLE "model_version_datasets"`);
    await queryRunner.query(`DROP TABLE "datasets"`);
    await queryRunner.query(`DROP TABLE "model_aliases"`);
    await queryRunner.query(`DROP TRIGGER "tr_model_versions_write_once" ON "model_versions"`);
    await queryRunner.query(`DROP FUNCTION "refuse_version_rewrite"()`);
    await queryRunner.query(`
      ALTER TABLE "models"
        ADD COLUMN "platform" text, ADD COLUMN "backend" text, ADD COLUMN "max_batch_size" integer,
        ADD COLUMN "inputs" jsonb, ADD COLUMN "outputs" jsonb, ADD COLUMN "labels" jsonb`);
    // The newest version's signature goes back onto its model.
    await queryRunner.query(`
      UPDATE "models" m SET "platform" = v."platform", "backend" = v."backend",
             "max_batch_size" = v."max_batch_size", "inputs" = v."inputs",
             "outputs" = v."outputs", "labels" = v."labels"
        FROM (SELECT DISTINCT ON ("model_id") * FROM "model_versions"
               ORDER BY "model_id", "created_at" DESC) v
       WHERE v."model_id" = m."id"`);
    await queryRunner.query(`DELETE FROM "models" WHERE "platform" IS NULL`);
    await queryRunner.query(`
      ALTER TABLE "models"
        ALTER COLUMN "platform" SET NOT NULL, ALTER COLUMN "backend" SET NOT NULL,
        ALTER COLUMN "max_batch_size" SET NOT NULL, ALTER COLUMN "inputs" SET NOT NULL,
        ALTER COLUMN "outputs" SET NOT NULL,
        DROP COLUMN "task", DROP COLUMN "owner", DROP COLUMN "description"`);
    await queryRunner.query(`DELETE FROM "model_versions" WHERE "artifact_path" IS NULL`);
    await queryRunner.query(`
      ALTER TABLE "model_versions"
        DROP CONSTRAINT "fk_model_versions_mlflow_run_id",
        DROP CONSTRAINT "fk_model_versions_parent_version_id",
        DROP CONSTRAINT "ck_model_versions_status",
        DROP CONSTRAINT "ck_model_versions_parent_relation",
        DROP COLUMN "platform", DROP COLUMN "backend", DROP COLUMN "max_batch_size",
        DROP COLUMN "inputs", DROP COLUMN "outputs", DROP COLUMN "labels",
        DROP COLUMN "artifact_filename", DROP COLUMN "status", DROP COLUMN "status_reason",
        DROP COLUMN "status_changed_at", DROP COLUMN "description", DROP COLUMN "model_card",
        DROP COLUMN "tags", DROP COLUMN "drifted_sha256", DROP COLUMN "parent_version_id",
        DROP COLUMN "parent_relation", DROP COLUMN "code_revision", DROP COLUMN "mlflow_run_id",
        DROP COLUMN "registered_by",
        ALTER COLUMN "artifact_path" SET NOT NULL`);
    await queryRunner.query(`DROP TABLE "mlflow_runs"`);
  }
}
