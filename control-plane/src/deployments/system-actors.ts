import { type Actor } from '../audit/actor';

/** The canary analysis, as the audit and the revisions name it when it steps, promotes or rolls back. */
export const CANARY_ANALYSIS_ACTOR: Actor = {
  subject: 'system:canary-analysis',
  tenant: 'system',
  requestId: null,
};
