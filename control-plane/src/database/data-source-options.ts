import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { type DataSourceOptions } from 'typeorm';
import { PGliteDriver } from 'typeorm-pglite';
import { type ControlPlaneConfig } from '../config/control-plane-config';
import { CONTROL_PLANE_ENTITIES } from './control-plane-entities';
import { CONTROL_PLANE_MIGRATIONS } from './migrations';

export type DatabaseSettings = Pick<ControlPlaneConfig, 'databaseUrl' | 'dataDir'>;

/** Where the embedded database keeps its files. */
export function pgliteDirectory(dataDir: string): string {
  return path.join(dataDir, 'pglite');
}

/**
 * Postgres server when DATABASE_URL is set, otherwise embedded PGlite persisted under the data dir.
 * The schema only ever changes through migrations, never through `synchronize`.
 */
export function buildDataSourceOptions(settings: DatabaseSettings): DataSourceOptions {
  const shared = {
    type: 'postgres',
    entities: CONTROL_PLANE_ENTITIES,
    migrations: CONTROL_PLANE_MIGRATIONS,
    migrationsRun: true,
    synchronize: false,
    // gen_random_uuid() is built into Postgres 13+, so no extension has to be installed.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
  } as const;
  if (settings.databaseUrl !== undefined) {
    return { ...shared, url: settings.databaseUrl };
  }
  const dataDir = pgliteDirectory(settings.dataDir);
  // PGlite creates its own folder but not missing parents.
  mkdirSync(path.dirname(dataDir), { recursive: true });
  return { ...shared, driver: new PGliteDriver({ dataDir }).driver };
}
