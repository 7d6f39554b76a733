/**
 * Child-process entry: migrates the database named by DATABASE_URL, or else a PGlite database
 * under CONTROL_PLANE_DATA_DIR, and prints the pending schema changes as one JSON line.
 */
import 'reflect-metadata';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { pendingSchemaChanges } from './pending-schema-changes';

async function main(): Promise<void> {
  const dataDir = process.env.CONTROL_PLANE_DATA_DIR;
  const databaseUrl = process.env.DATABASE_URL;
  if (databaseUrl === undefined && dataDir === undefined) {
    throw new Error('set DATABASE_URL or CONTROL_PLANE_DATA_DIR');
  }
  const options = buildDataSourceOptions({ databaseUrl, dataDir: dataDir ?? '' });
  const pending = await pendingSchemaChanges(options);
  process.stdout.write(`PENDING_SCHEMA_CHANGES ${JSON.stringify(pending)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
