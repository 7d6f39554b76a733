import { Global, Module } from '@nestjs/common';
import { apiKeyStoreProvider } from './api-key-store.provider';
import { BootstrapAdminKey } from './bootstrap-admin-key';
import { ControlPlaneAuthenticator } from './control-plane-authenticator';
import { RoleGuard } from './role.guard';

/**
 * Who is calling and what they may do: API keys in the control plane's database, JWTs when
 * configured (CONTROL_PLANE_JWT_*), the roles viewer < operator < admin (@RequireRole). Global, so
 * every capability module can put @RequireRole on its resolvers and controllers.
 */
@Global()
@Module({
  providers: [apiKeyStoreProvider, ControlPlaneAuthenticator, BootstrapAdminKey, RoleGuard],
  exports: [ControlPlaneAuthenticator, RoleGuard],
})
export class AuthModule {}
