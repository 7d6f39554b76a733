import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isKServeDatatype } from '@contracts/kserve/datatype';
import type { ModelMetadataResponse } from '@contracts/generated/inference/grpc_service_pb';
import type { ModelConfig } from '@contracts/generated/inference/model_config_pb';
import { parseLabels } from '@model-repository';
import type { ModelMetadata, TensorMetadata } from '../../request-path/inference-backend';

/**
 * Triton's ModelMetadata + ModelConfig answers as the gateway's ModelMetadata: the same shape the
 * embedded backend builds from config.pbtxt, so nothing above the backend can tell them apart.
 * Shapes come from ModelMetadata (full shapes, -1 for the batch dimension); batch size, parameters
 * and the label file's name from the config.
 */
export function toModelMetadata(
  metadata: ModelMetadataResponse,
  config: ModelConfig,
  labels: string[] | undefined,
): ModelMetadata {
  const parameters: Record<string, string> = {};
  for (const [key, value] of Object.entries(config.parameters)) {
    parameters[key] = value.stringValue;
  }
  const tensor = (role: string) => (spec: ModelMetadataResponse['inputs'][number]) => {
    if (!isKServeDatatype(spec.datatype)) {
      throw new Error(
        `model '${metadata.name}' ${role} '${spec.name}' has unknown datatype '${spec.datatype}'`,
      );
    }
    const described: TensorMetadata = {
      name: spec.name,
      datatype: spec.datatype,
      shape: spec.shape.map(Number),
    };
    return described;
  };
  const result: ModelMetadata = {
    name: metadata.name,
    versions: [...metadata.versions].sort(byVersion),
    platform: metadata.platform || config.platform || config.backend,
    inputs: metadata.inputs.map(tensor('input')),
    outputs: metadata.outputs.map(tensor('output')),
    maxBatchSize: config.maxBatchSize,
    parameters,
    config,
  };
  if (labels) result.labels = labels;
  return result;
}

/** Numeric versions ascending (Triton's are integers), so the last is the newest. */
function byVersion(a: string, b: string): number {
  const difference = Number(a) - Number(b);
  return Number.isNaN(difference) ? a.localeCompare(b) : difference;
}

/**
 * Labels of a model served by Triton, read from the gateway's local copy of the repository (Triton
 * does not send label files over gRPC): the first output with a `label_filename`, as Triton reads
 * them. Undefined when the config names none or the local copy lacks the file.
 */
export async function readLocalLabels(
  repository: string,
  config: ModelConfig,
): Promise<string[] | undefined> {
  const labelled = config.output.find((output) => output.labelFilename !== '');
  if (!labelled) return undefined;
  try {
    return parseLabels(
      await readFile(join(repository, config.name, labelled.labelFilename), 'utf8'),
    );
  } catch {
    return undefined;
  }
}

/** Model names of the local repository (its subdirectories); empty when it cannot be read. */
export async function localModelNames(repository: string): Promise<string[]> {
  try {
    const entries = await readdir(repository, { withFileTypes: true });
    return entries
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
      .map((entry) => entry.name)
      .sort();
  } catch {
    return [];
  }
}
