import { tmpdir } from 'node:os';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../../control-plane/src/database/data-source-options';

/**
 * Runs the control plane's migrations against `databaseUrl`, as a control plane starting there
 * would: the gateway's Postgres key store needs the table they create (gateway_api_keys).
 */
export async function runControlPlaneMigrations(databaseUrl: string): Promise<void> {
  // dataDir is only read for the embedded database, which a URL rules out.
  const dataSource = new DataSource(buildDataSourceOptions({ databaseUrl, dataDir: tmpdir() }));
  await dataSource.initialize();
  await dataSource.destroy();
}
