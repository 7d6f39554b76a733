import type { ModelVersionPolicy } from '@contracts/generated/inference/model_config_pb';

/** Subdirectories of a model directory that Triton never treats as versions. */
export const NON_VERSION_DIRECTORIES: ReadonlySet<string> = new Set([
  'warmup',
  'initial_state',
  'configs',
]);

/**
 * The version number a directory name stands for, or undefined when it is not a version.
 * Triton ignores names with leading zeros ("01"); we also refuse signs and trailing garbage
 * ("1a"), which its integer conversion would silently accept.
 */
export function parseVersionDirectoryName(name: string): bigint | undefined {
  if (!/^(0|[1-9][0-9]*)$/.test(name)) return undefined;
  const version = BigInt(name);
  return version <= 0x7fffffffffffffffn ? version : undefined;
}

export interface VersionSelection {
  /** Versions to serve, ascending. */
  served: bigint[];
  /** Versions named by a `specific` policy that have no directory (Triton logs and skips them). */
  missing: bigint[];
}

/**
 * Applies a `version_policy` to the versions present on disk, as Triton does: unset means
 * `latest { num_versions: 1 }`; `latest` takes the N highest; `all` takes everything; `specific`
 * takes the listed versions that exist.
 */
export function selectServedVersions(
  policy: ModelVersionPolicy | undefined,
  present: readonly bigint[],
): VersionSelection {
  const ascending = [...new Set(present)].sort(compareVersions);
  const choice = policy?.policyChoice ?? { case: undefined };
  switch (choice.case) {
    case 'all':
      return { served: ascending, missing: [] };
    case 'specific': {
      const wanted = [...new Set(choice.value.versions)].sort(compareVersions);
      const available = new Set(ascending);
      return {
        served: wanted.filter((version) => available.has(version)),
        missing: wanted.filter((version) => !available.has(version)),
      };
    }
    case 'latest':
      return { served: latest(ascending, choice.value.numVersions), missing: [] };
    default:
      return { served: latest(ascending, 1), missing: [] };
  }
}

/** Human-readable policy for messages: "latest 1", "all", "specific [1, 3]". */
export function describeVersionPolicy(policy: ModelVersionPolicy | undefined): string {
  const choice = policy?.policyChoice ?? { case: undefined };
  switch (choice.case) {
    case 'all':
      return 'all';
    case 'specific':
      return `specific [${choice.value.versions.join(', ')}]`;
    case 'latest':
      return `latest ${choice.value.numVersions}`;
    default:
      return 'latest 1 (default)';
  }
}

export function compareVersions(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function latest(ascending: readonly bigint[], count: number): bigint[] {
  return count <= 0 ? [] : ascending.slice(-count);
}
