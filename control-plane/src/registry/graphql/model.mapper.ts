import { type ModelVersionEntity } from '../entities/model-version.entity';
import { type ModelEntity } from '../entities/model.entity';
import { type ModelVersionObject } from './model-version.object';
import { type ModelObject } from './model.object';

/** Maps a model whose versions are loaded and ordered oldest first. */
export function toModelObject(model: ModelEntity): ModelObject {
  const versions = (model.versions ?? []).map(toModelVersionObject);
  const latest = model.versions?.at(-1) ?? null;
  return {
    id: model.id,
    name: model.name,
    platform: model.platform,
    backend: model.backend,
    maxBatchSize: model.maxBatchSize,
    inputs: model.inputs,
    outputs: model.outputs,
    labels: model.labels,
    versions,
    latestVersion: versions.at(-1) ?? null,
    config: latest?.configText ?? null,
  };
}

function toModelVersionObject(version: ModelVersionEntity): ModelVersionObject {
  return {
    id: version.id,
    version: version.version,
    artifactSha256: version.artifactSha256,
    artifactSizeBytes: version.artifactSizeBytes,
    served: version.served,
    createdAt: version.createdAt,
  };
}
