/**
 * The IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers, structured-field form):
 *   RateLimit-Policy: "tenant-requests";q=100;w=1, "model-images";q=40;w=1
 *   RateLimit: "tenant-requests";r=0;t=1, "model-images";r=12;t=1
 * Policy names are the gateway's fixed limit names, so they need no escaping as sf-strings.
 */
export interface PolicyState {
  /** One of the fixed limit names (`tenant-requests`, `tenant-images`, ...). */
  policy: string;
  /** Quota per window, in the policy's unit (requests or images). */
  quota: number;
  windowSeconds: number;
  /** What is left of the quota in the current window. */
  remaining: number;
  /** Milliseconds until the current window ends. */
  resetMs: number;
}

export function rateLimitFields(states: readonly PolicyState[]): Record<string, string> {
  return {
    'ratelimit-policy': states
      .map((state) => `"${state.policy}";q=${state.quota};w=${state.windowSeconds}`)
      .join(', '),
    ratelimit: states
      .map(
        (state) =>
          `"${state.policy}";r=${Math.max(0, state.remaining)};t=${Math.max(0, Math.ceil(state.resetMs / 1000))}`,
      )
      .join(', '),
  };
}
