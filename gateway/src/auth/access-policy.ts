import { permissionDenied } from './auth-errors';
import { hasScope, type Caller, type Scope } from '@auth';

/**
 * Who may call a route or gRPC method. Every HTTP route and gRPC method declares one; one that
 * does not is refused (fail closed) and fails the route audit test.
 */
export type AccessPolicy =
  /** No credential needed (health probes). */
  | { readonly kind: 'public' }
  /** `metrics:read`, or nobody when GATEWAY_METRICS_PUBLIC=true. */
  | { readonly kind: 'metrics' }
  /** Any valid credential (server metadata, reflection). */
  | { readonly kind: 'authenticated' }
  | { readonly kind: 'scope'; readonly scope: Scope }
  /** `infer:<the model the request names>`. */
  | { readonly kind: 'model' }
  /** Some `infer:` scope (a stream whose messages name their own models, each checked later). */
  | { readonly kind: 'any-model' };

export const ACCESS = {
  public: { kind: 'public' },
  metrics: { kind: 'metrics' },
  authenticated: { kind: 'authenticated' },
  admin: { kind: 'scope', scope: 'admin' },
  model: { kind: 'model' },
  anyModel: { kind: 'any-model' },
} as const satisfies Record<string, AccessPolicy>;

/** Whether a call under `policy` needs no credential. */
export function isPublic(policy: AccessPolicy, metricsPublic: boolean): boolean {
  return policy.kind === 'public' || (policy.kind === 'metrics' && metricsPublic);
}

/** Refuses with 403 / PERMISSION_DENIED, naming the scope that is missing, unless `caller` may. */
export function authorize(caller: Caller, policy: AccessPolicy, model?: string): void {
  const required = requiredScope(policy, model);
  if (required === undefined) return;
  if (required === 'infer:<any model>') {
    const scopes = caller.scopes;
    if (scopes.includes('admin') || scopes.some((scope) => scope.startsWith('infer:'))) return;
  } else if (hasScope(caller, required)) {
    return;
  }
  const held = caller.scopes.length > 0 ? caller.scopes.join(' ') : 'no scopes';
  const alternative = required.startsWith('infer:') ? " (or 'infer:*')" : '';
  throw permissionDenied(
    `permission denied: this needs scope '${required}'${alternative}; ${caller.subject} of tenant '${caller.tenant}' has ${held}`,
  );
}

function requiredScope(
  policy: AccessPolicy,
  model: string | undefined,
): Scope | 'infer:<any model>' | undefined {
  switch (policy.kind) {
    case 'public':
    case 'authenticated':
      return undefined;
    case 'metrics':
      return 'metrics:read';
    case 'scope':
      return policy.scope;
    case 'model':
      // No model named (a malformed request): the handler refuses it; any infer scope may ask.
      return model ? `infer:${model}` : 'infer:<any model>';
    case 'any-model':
      return 'infer:<any model>';
  }
}
