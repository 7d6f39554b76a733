import { create } from '@bufbuild/protobuf';
import { toText } from '@bufbuild/protobuf/txtpb';
import {
  ModelConfigSchema,
  ModelVersionPolicySchema,
  ModelVersionPolicy_SpecificSchema,
} from '@contracts/generated/inference/model_config_pb';
import { parseModelConfig } from './config-pbtxt';

/**
 * The config.pbtxt a repository manager writes to serve exactly `versions` of a model: the
 * version's registered config with `version_policy: specific` listing them. Written from the
 * parsed message, so what Triton reads is what was validated (comments of the original are kept
 * in the registry's config snapshot, not here).
 */
export function servingConfigText(configText: string, versions: readonly string[]): string {
  const config = parseModelConfig(configText, 'config');
  config.versionPolicy = create(ModelVersionPolicySchema, {
    policyChoice: {
      case: 'specific',
      value: create(ModelVersionPolicy_SpecificSchema, {
        versions: versions.map((version) => BigInt(version)),
      }),
    },
  });
  return `# Written by the control plane; each version's own config is in the registry.\n${toText(ModelConfigSchema, config)}\n`;
}
