/**
 * Scopes a credential grants: `infer:<model>` (or `infer:*`) to run and inspect a model,
 * `metrics:read` for /metrics, `admin` for the key-management API (and everything else).
 */
export type Scope = `infer:${string}` | 'metrics:read' | 'admin';

/** An authenticated caller, as the request path sees it whichever credential it presented. */
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
  return required.startsWith('infer:') && caller.scopes.includes('infer:*');
}

/** Model names a scope may name: what Triton accepts as a model directory name, no wildcards. */
const SCOPE_PATTERN = /^(infer:(\*|[A-Za-z0-9][A-Za-z0-9_.-]{0,127})|metrics:read|admin)$/;

/** Whether `value` is a scope the gateway knows (`infer:<model>`, `infer:*`, `metrics:read`, `admin`). */
export function isScope(value: string): value is Scope {
  return SCOPE_PATTERN.test(value);
}
