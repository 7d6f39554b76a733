import { create } from '@bufbuild/protobuf';
import { ModelVersionPolicySchema } from '@contracts/generated/inference/model_config_pb';
import { parseModelConfig } from './config-pbtxt';
import {
  describeVersionPolicy,
  parseVersionDirectoryName,
  selectServedVersions,
} from './version-policy';

const present = [1n, 10n, 2n, 9n, 3n];
const policyOf = (text: string) => parseModelConfig(text, 'policy.pbtxt').versionPolicy;

describe('selectServedVersions', () => {
  it('serves only the highest version when no policy is given', () => {
    expect(selectServedVersions(undefined, present)).toEqual({ served: [10n], missing: [] });
  });

  it('serves the N highest, compared as numbers (10 is after 9)', () => {
    expect(
      selectServedVersions(policyOf('version_policy { latest { num_versions: 3 } }'), present)
        .served,
    ).toEqual([3n, 9n, 10n]);
  });

  it('serves everything when latest asks for more versions than exist', () => {
    expect(
      selectServedVersions(policyOf('version_policy { latest { num_versions: 99 } }'), present)
        .served,
    ).toEqual([1n, 2n, 3n, 9n, 10n]);
  });

  it('serves nothing for latest with num_versions 0, as Triton does', () => {
    expect(selectServedVersions(policyOf('version_policy { latest { } }'), present).served).toEqual(
      [],
    );
  });

  it('serves every version for all', () => {
    expect(selectServedVersions(policyOf('version_policy { all { } }'), present).served).toEqual([
      1n,
      2n,
      3n,
      9n,
      10n,
    ]);
  });

  it('serves the listed versions that exist and reports the ones that do not', () => {
    const policy = policyOf('version_policy { specific { versions: [ 9, 4, 1, 9 ] } }');
    expect(selectServedVersions(policy, present)).toEqual({ served: [1n, 9n], missing: [4n] });
  });

  it('treats an empty policy message like the default', () => {
    expect(selectServedVersions(create(ModelVersionPolicySchema), present).served).toEqual([10n]);
  });

  it('serves nothing when no version directory exists', () => {
    expect(selectServedVersions(undefined, []).served).toEqual([]);
  });
});

describe('parseVersionDirectoryName', () => {
  it.each([
    ['0', 0n],
    ['1', 1n],
    ['42', 42n],
    ['9223372036854775807', 9223372036854775807n],
  ])('accepts %s', (name, version) => {
    expect(parseVersionDirectoryName(name)).toBe(version);
  });

  it.each(['01', '-1', '+1', '1a', 'v1', '', '1.0', '9223372036854775808'])(
    'rejects "%s"',
    (name) => {
      expect(parseVersionDirectoryName(name)).toBeUndefined();
    },
  );
});

describe('describeVersionPolicy', () => {
  it('names each kind', () => {
    expect(describeVersionPolicy(undefined)).toBe('latest 1 (default)');
    expect(describeVersionPolicy(policyOf('version_policy { latest { num_versions: 2 } }'))).toBe(
      'latest 2',
    );
    expect(describeVersionPolicy(policyOf('version_policy { all { } }'))).toBe('all');
    expect(
      describeVersionPolicy(policyOf('version_policy { specific { versions: [1, 3] } }')),
    ).toBe('specific [1, 3]');
  });
});
