/**
 * Roles on the control plane, weakest first: `viewer` reads the registry; `operator` also
 * registers, aliases, loads, deploys and rolls back; `admin` also manages keys, and may do
 * everything anywhere. Each role includes the ones before it.
 */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Scopes a credential grants. Gateway: `infer:<model>` (or `infer:*`) to run and inspect a model,
 * `metrics:read` for /metrics. Control plane: the roles. `admin` may do everything in both.
 */
export type Scope = `infer:${string}` | 'metrics:read' | Role;

/** An authenticated caller, whichever credential it presented and whichever app it called. */
export interface Caller {
  /** Rate limits and quotas are kept per tenant. */
  tenant: string;
  /** Who, for logs and audit: `key:<id>` for an API key, `jwt:<sub>` for a token. */
  subject: string;
  scopes: readonly string[];
}

/** Whether `caller` may do what `required` allows; `admin` may do everything. */
export function hasScope(caller: Caller, required: Scope): boolean {
  if (caller.scopes.includes('admin') || caller.scopes.includes(required)) return true;
  if (isRole(required)) return hasRole(caller, required);
  return required.startsWith('infer:') && caller.scopes.includes('infer:*');
}

/** Whether `caller` holds `role` or a stronger one (admin ⊇ operator ⊇ viewer). */
export function hasRole(caller: Caller, role: Role): boolean {
  const needed = ROLES.indexOf(role);
  return caller.scopes.some((scope) => isRole(scope) && ROLES.indexOf(scope) >= needed);
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** Model names a scope may name: what Triton accepts as a model directory name, no wildcards. */
const SCOPE_PATTERN =
  /^(infer:(\*|[A-Za-z0-9][A-Za-z0-9_.-]{0,127})|metrics:read|viewer|operator|admin)$/;

/** Whether `value` is a known scope (`infer:<model>`, `infer:*`, `metrics:read`, or a role). */
export function isScope(value: string): value is Scope {
  return SCOPE_PATTERN.test(value);
}
