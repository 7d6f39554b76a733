import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import type { Role } from '@auth';
import { REQUIRED_ROLE } from './required-role';
import { RoleGuard } from './role.guard';

/**
 * The role a resolver or REST handler (or every one of a class) needs: `viewer` reads,
 * `operator` changes models and deployments, `admin` manages keys. Each includes the weaker ones.
 * A caller without it is refused FORBIDDEN, naming the role; one without a credential,
 * UNAUTHENTICATED.
 */
export const RequireRole = (role: Role): MethodDecorator & ClassDecorator =>
  applyDecorators(SetMetadata(REQUIRED_ROLE, role), UseGuards(RoleGuard));
