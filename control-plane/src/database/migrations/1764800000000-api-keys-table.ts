import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The API-key table (libs/auth's SqlApiKeyStore), exactly as gateways created it themselves before
 * it came under these migrations. IF NOT EXISTS: a database a gateway already created it in keeps
 * its table and its keys.
 */
export class ApiKeysTable1764800000000 implements MigrationInterface {
  name = 'ApiKeysTable1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE IF NOT EXISTS gateway_api_keys (
  id text PRIMARY KEY,
  tenant text NOT NULL,
  scopes text[] NOT NULL,
  name text,
  kdf text NOT NULL,
  salt text NOT NULL,
  hash text NOT NULL,
  created_at timestamptz NOT NULL,
  revoked_at timestamptz,
  rotated_from text
)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE IF EXISTS gateway_api_keys');
  }
}
