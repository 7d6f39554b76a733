import { API_KEYS_TABLE, SqlApiKeyStore } from '@auth';
import type { Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type ControlPlaneConfig } from '../config/control-plane-config';
import { CONTROL_PLANE_CONFIG } from '../config/control-plane-config.module';
import { TypeormSqlDatabase } from './typeorm-sql-database';

export type ControlPlaneApiKeyStore = SqlApiKeyStore;
export const CONTROL_PLANE_API_KEY_STORE = Symbol('CONTROL_PLANE_API_KEY_STORE');

/**
 * The key table in the control plane's own database: on Postgres the table gateways share
 * (GATEWAY_DATABASE_URL), on the embedded default the one in PGlite. Its migration runs with the rest.
 */
export const apiKeyStoreProvider: Provider = {
  provide: CONTROL_PLANE_API_KEY_STORE,
  inject: [DataSource, CONTROL_PLANE_CONFIG],
  useFactory: (dataSource: DataSource, config: ControlPlaneConfig): ControlPlaneApiKeyStore =>
    new SqlApiKeyStore(
      new TypeormSqlDatabase(dataSource),
      `${config.databaseUrl === undefined ? 'embedded PGlite' : 'Postgres'} table ${API_KEYS_TABLE}`,
    ),
};
