import { runTypeScript } from './typescript-process';

/** Runs report-pending-schema-changes.ts in a child process (see spawnTypeScript for why). */
export async function pendingSchemaChangesOf(
  database: { databaseUrl: string } | { dataDir: string },
): Promise<string[]> {
  const result = await runTypeScript(
    'control-plane/test/support/report-pending-schema-changes.ts',
    'databaseUrl' in database
      ? { DATABASE_URL: database.databaseUrl }
      : { CONTROL_PLANE_DATA_DIR: database.dataDir },
  );
  const line = /^PENDING_SCHEMA_CHANGES (.*)$/m.exec(result.output);
  if (result.exitCode !== 0 || line === null) {
    throw new Error(`checking pending schema changes failed:\n${result.output}`);
  }
  return JSON.parse(line[1]) as string[];
}
