import { Global, Module } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import {
  API_KEY_STORE,
  CREDENTIAL_CHECK_OBSERVER,
  FileApiKeyStore,
  PostgresApiKeyStore,
  type ApiKeyStore,
} from '@auth';
import { ApiKeyService } from './api-keys/api-key-service';
import { ApiKeysController } from './api-keys/api-keys.controller';
import { BootstrapAdminKey } from './api-keys/bootstrap-admin-key';
import { AUTH_CONFIG, type AuthConfig } from './auth-config';
import { Authenticator } from './authenticator';
import { credentialCheckMetrics } from './credential-check-metrics';

/**
 * GATEWAY_DATABASE_URL set: the control plane's Postgres (its migrations create the table);
 * otherwise a file in GATEWAY_DATA_DIR.
 */
function createStore(config: AuthConfig): ApiKeyStore {
  return config.databaseUrl
    ? new PostgresApiKeyStore(config.databaseUrl)
    : FileApiKeyStore.inDirectory(config.dataDir);
}

/** Who is calling: API keys (store, admin API, bootstrap), JWT verification, the authenticator. */
@Global()
@Module({
  providers: [
    { provide: AUTH_CONFIG, inject: [GATEWAY_CONFIG], useFactory: (c: GatewayConfig) => c.auth },
    { provide: API_KEY_STORE, inject: [AUTH_CONFIG], useFactory: createStore },
    {
      provide: CREDENTIAL_CHECK_OBSERVER,
      inject: [GatewayMetrics],
      useFactory: credentialCheckMetrics,
    },
    ApiKeyService,
    Authenticator,
    BootstrapAdminKey,
  ],
  controllers: [ApiKeysController],
  exports: [AUTH_CONFIG, Authenticator, ApiKeyService],
})
export class AuthModule {}
