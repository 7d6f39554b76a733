// The caller and scope model is shared with the control plane (libs/auth); the request path sees
// it as part of its contract.
export type { Caller, Scope } from '@auth';
