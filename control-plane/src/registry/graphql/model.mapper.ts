import { type ArtifactStore } from '../artifacts/artifact-store';
import { type ModelAliasEntity } from '../entities/model-alias.entity';
import { type ModelVersionEntity } from '../entities/model-version.entity';
import { type ModelEntity } from '../entities/model.entity';
import { type ModelVersionObject } from './model-version.object';
import { type ModelAliasObject, type ModelObject } from './model.object';

export function toModelObject(model: ModelEntity): ModelObject {
  return {
    id: model.id,
    name: model.name,
    task: model.task,
    owner: model.owner,
    description: model.description,
    createdAt: model.createdAt,
  };
}

export function toModelVersionObject(
  version: ModelVersionEntity,
  artifacts: ArtifactStore,
): ModelVersionObject {
  return {
    id: version.id,
    modelId: version.modelId,
    parentVersionId: version.parentVersionId,
    mlflowRunId: version.mlflowRunId,
    parentRelationValue: version.parentRelation,
    codeRevisionValue: version.codeRevision,
    version: version.version,
    status: version.status,
    statusReason: version.statusReason,
    statusChangedAt: version.statusChangedAt,
    source: version.source,
    artifactSha256: version.artifactSha256,
    artifactSizeBytes: version.artifactSizeBytes,
    artifactUri: artifacts.uriOf(version.artifactSha256),
    artifactFilename: version.artifactFilename,
    driftedSha256: version.driftedSha256,
    platform: version.platform,
    backend: version.backend,
    maxBatchSize: version.maxBatchSize,
    inputs: version.inputs,
    outputs: version.outputs,
    labels: version.labels,
    config: version.configText,
    served: version.served,
    description: version.description,
    modelCard: version.modelCard,
    tags: Object.entries(version.tags).map(([key, value]) => ({ key, value })),
    registeredBy: version.registeredBy,
    createdAt: version.createdAt,
  };
}

export function toModelAliasObject(alias: ModelAliasEntity): ModelAliasObject {
  return {
    alias: alias.alias,
    versionId: alias.versionId,
    updatedBy: alias.updatedBy,
    updatedAt: alias.updatedAt,
  };
}
