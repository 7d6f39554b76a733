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
