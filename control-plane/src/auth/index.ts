export { AuthModule } from './auth.module';
export { ControlPlaneAuthenticator } from './control-plane-authenticator';
export { CurrentActor, CurrentCaller, RequestId } from './identity.decorators';
export { RequireRole } from './require-role.decorator';
export { RoleGuard } from './role.guard';
export type { GraphqlContext, RequestIdentity } from './request-identity';
