/** Who asked for a change, as the audit records it. */
export interface Actor {
  /** `key:<id>` for an API key, `jwt:<sub>` for a token, `system:<what>` for the control plane itself. */
  subject: string;
  tenant: string;
  /** The request's id (`x-request-id`), to find its log lines. */
  requestId: string | null;
}

/** Changes the control plane makes by itself (start-up validation, the repository scan). */
export const SYSTEM_ACTOR: Actor = {
  subject: 'system:control-plane',
  tenant: 'system',
  requestId: null,
};
