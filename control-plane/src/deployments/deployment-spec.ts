/** A version that sees a copy of a sample of the calls; its answers are compared, never returned. */
export interface ShadowSpec {
  version: string;
  samplePercent: number;
}

/** A tenant pinned to one version, whatever the weights say. */
export interface TenantOverrideSpec {
  tenant: string;
  version: string;
}

export interface CanarySpec {
  version: string;
  weightPercent: number;
}

/** What a revision routes: everything a deployment change sets, as a whole. */
export interface DeploymentSpec {
  stableVersion: string;
  canary: CanarySpec | null;
  shadows: ShadowSpec[];
  /** '' (each call chosen afresh), 'tenant', or 'header:<lower-case header name>'. */
  stickyKey: string;
  tenantOverrides: TenantOverrideSpec[];
}

/** Why a revision was made. */
export const REVISION_CAUSES = [
  'create',
  'update',
  'rollback',
  'restore',
  'promote',
  'analysis-step',
  'analysis-promote',
  'analysis-rollback',
  'analysis-abort',
] as const;
export type RevisionCause = (typeof REVISION_CAUSES)[number];

/** The spec columns of a revision row. */
export interface RevisionSpecColumns {
  stableVersion: string;
  canaryVersion: string | null;
  canaryWeightPercent: number;
  shadows: ShadowSpec[];
  stickyKey: string;
  tenantOverrides: TenantOverrideSpec[];
}

export function specOf(revision: RevisionSpecColumns): DeploymentSpec {
  return {
    stableVersion: revision.stableVersion,
    canary:
      revision.canaryVersion === null
        ? null
        : { version: revision.canaryVersion, weightPercent: revision.canaryWeightPercent },
    shadows: revision.shadows.map(({ version, samplePercent }) => ({ version, samplePercent })),
    stickyKey: revision.stickyKey,
    tenantOverrides: revision.tenantOverrides.map(({ tenant, version }) => ({ tenant, version })),
  };
}

export function specColumns(spec: DeploymentSpec): RevisionSpecColumns {
  return {
    stableVersion: spec.stableVersion,
    canaryVersion: spec.canary?.version ?? null,
    canaryWeightPercent: spec.canary?.weightPercent ?? 0,
    shadows: spec.shadows,
    stickyKey: spec.stickyKey,
    tenantOverrides: spec.tenantOverrides,
  };
}

/** Same routing: the order of shadows and of overrides matters to nobody, so it is ignored. */
export function sameSpec(a: DeploymentSpec, b: DeploymentSpec): boolean {
  const entries = (spec: DeploymentSpec): string =>
    JSON.stringify([
      spec.shadows.map((s) => JSON.stringify([s.version, s.samplePercent])).sort(),
      spec.tenantOverrides.map((o) => JSON.stringify([o.tenant, o.version])).sort(),
    ]);
  return (
    a.stableVersion === b.stableVersion &&
    a.canary?.version === b.canary?.version &&
    (a.canary?.weightPercent ?? 0) === (b.canary?.weightPercent ?? 0) &&
    a.stickyKey === b.stickyKey &&
    entries(a) === entries(b)
  );
}
