import { type MigrationInterface, type QueryRunner } from 'typeorm';

export class InitialRegistrySchema1763700000000 implements MigrationInterface {
  name = 'InitialRegistrySchema1763700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "models" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "name" text NOT NULL,
        "platform" text NOT NULL,
        "backend" text NOT NULL,
        "max_batch_size" integer NOT NULL,
        "inputs" jsonb NOT NULL,
        "outputs" jsonb NOT NULL,
        "labels" jsonb,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_models" PRIMARY KEY ("id"),
        CONSTRAINT "uq_models_name" UNIQUE ("name")
      )`);
    await queryRunner.query(`
      CREATE TABLE "model_versions" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "model_id" uuid NOT NULL,
        "version" text NOT NULL,
        "artifact_path" text NOT NULL,
        "artifact_sha256" character(64) NOT NULL,
        "artifact_size_bytes" bigint NOT NULL,
        "config_text" text NOT NULL,
        "served" boolean NOT NULL,
        "source" text NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_model_versions" PRIMARY KEY ("id"),
        CONSTRAINT "uq_model_versions_model_id_version" UNIQUE ("model_id", "version"),
        CONSTRAINT "fk_model_versions_model_id" FOREIGN KEY ("model_id")
          REFERENCES "models" ("id") ON DELETE CASCADE
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "model_versions"`);
    await queryRunner.query(`DROP TABLE "models"`);
  }
}
