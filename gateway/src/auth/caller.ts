import type { Caller, Scope } from '../request-path/caller';

// The shape lives with the request-path contract; the rules about scopes live here.
export type { Caller, Scope };

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
