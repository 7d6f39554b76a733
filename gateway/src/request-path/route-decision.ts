/**
 * Why a call went to the version it did: the route stage's answer, read by metrics (per routing
 * decision), the shadow copies and the access log.
 * - `pinned`: the caller named the version (`/v2/models/m/versions/3/...`); routing is bypassed.
 * - `identity`: no route for the model; the newest version the backend serves.
 * - `stable` / `canary`: the deployment's weighted choice (sticky on its key when it has one).
 * - `tenant-override`: the caller's tenant is pinned to a version by the deployment.
 */
export type RouteRole = 'pinned' | 'identity' | 'stable' | 'canary' | 'tenant-override';

/** A version that gets a copy of this call; its answer is compared with the primary's, never returned. */
export interface ShadowCopy {
  readonly version: string;
}

export interface RouteDecision {
  readonly role: RouteRole;
  /** The version chosen; '' asks the backend for its newest (identity). */
  readonly version: string;
  /** The routing revision (0: none applied) and the deployment revision the choice came from. */
  readonly revision: bigint;
  readonly deploymentRevision: bigint;
  /** The shadows this call was sampled for (already sampled by the route stage). */
  readonly shadows: readonly ShadowCopy[];
}
