import { ControlPlaneFailure, shown } from '../errors/control-plane-error';
import { checkVersionName } from '../registry/registration/register-command-checks';
import { type DeploymentSpec } from './deployment-spec';

export const DEPLOYMENT_LIMITS = {
  shadows: 16,
  tenantOverrides: 64,
  tenantChars: 128,
  reasonChars: 1024,
} as const;

/** 'tenant', or a header the gateways can read on HTTP and gRPC alike (gRPC metadata keys are lower case). */
const STICKY_KEY_PATTERN = /^(|tenant|header:[a-z0-9-]{1,64})$/;

/**
 * What no deployment spec may be, whatever the registry holds: each refusal names the field. Sizes
 * are checked before anything is walked, so an oversized list costs nothing.
 */
export function checkDeploymentSpec(spec: DeploymentSpec): void {
  if (spec.shadows.length > DEPLOYMENT_LIMITS.shadows) {
    throw refuse(
      'shadows',
      `at most ${DEPLOYMENT_LIMITS.shadows} shadows, got ${spec.shadows.length}`,
    );
  }
  if (spec.tenantOverrides.length > DEPLOYMENT_LIMITS.tenantOverrides) {
    throw refuse(
      'tenantOverrides',
      `at most ${DEPLOYMENT_LIMITS.tenantOverrides} tenant overrides, got ${spec.tenantOverrides.length}`,
    );
  }
  checkVersionName(spec.stableVersion, 'stableVersion');
  if (spec.canary !== null) {
    checkVersionName(spec.canary.version, 'canary.version');
    checkPercent(spec.canary.weightPercent, 'canary.weightPercent');
    if (spec.canary.version === spec.stableVersion) {
      throw refuse(
        'canary.version',
        `canary.version ${spec.canary.version} is the stable version; a canary must be another version`,
      );
    }
  }
  const shadowed = new Set<string>();
  spec.shadows.forEach((shadow, index) => {
    const field = `shadows[${index}]`;
    checkVersionName(shadow.version, `${field}.version`);
    checkPercent(shadow.samplePercent, `${field}.samplePercent`);
    if (shadow.version === spec.stableVersion) {
      throw refuse(
        `${field}.version`,
        `${field}.version ${shadow.version} is the stable version; it cannot shadow itself`,
      );
    }
    if (shadowed.has(shadow.version)) {
      throw refuse(`${field}.version`, `version ${shadow.version} is shadowed twice`);
    }
    shadowed.add(shadow.version);
  });
  if (!STICKY_KEY_PATTERN.test(spec.stickyKey)) {
    throw refuse(
      'stickyKey',
      `stickyKey ${shown(spec.stickyKey, 32)} must be "", "tenant" or "header:<name>" with a lower-case header name of 1-64 letters, digits or "-"`,
    );
  }
  const pinned = new Set<string>();
  spec.tenantOverrides.forEach((override, index) => {
    const field = `tenantOverrides[${index}]`;
    if (override.tenant.length === 0 || override.tenant.length > DEPLOYMENT_LIMITS.tenantChars) {
      throw refuse(
        `${field}.tenant`,
        `${field}.tenant must be 1-${DEPLOYMENT_LIMITS.tenantChars} characters`,
      );
    }
    if (pinned.has(override.tenant)) {
      throw refuse(`${field}.tenant`, `tenant ${shown(override.tenant, 32)} is overridden twice`);
    }
    pinned.add(override.tenant);
    checkVersionName(override.version, `${field}.version`);
  });
}

export function checkReason(reason: string | null, argument = 'reason'): void {
  if (reason !== null && reason.length > DEPLOYMENT_LIMITS.reasonChars) {
    throw refuse(
      argument,
      `${argument} is ${reason.length} characters long; at most ${DEPLOYMENT_LIMITS.reasonChars}`,
    );
  }
}

export function checkPercent(value: number, argument: string): void {
  if (!Number.isFinite(value) || value < 0 || value > 100) {
    throw refuse(argument, `${argument} must be 0-100, got ${value}`);
  }
}

export function refuse(argument: string, message: string): ControlPlaneFailure {
  return new ControlPlaneFailure('BAD_USER_INPUT', message, { argument });
}
