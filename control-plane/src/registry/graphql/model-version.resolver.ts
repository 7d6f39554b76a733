import { Inject } from '@nestjs/common';
import { Context, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { LineageObject } from '../../lineage/graphql/lineage.object';
import { ARTIFACT_STORE, type ArtifactStore } from '../artifacts/artifact-store';
import { toModelObject, toModelVersionObject } from './model.mapper';
import { ModelVersionObject } from './model-version.object';
import { ModelAliasObject, ModelObject } from './model.object';
import { RegistryLoaders } from './registry-loaders';

@Resolver(() => ModelVersionObject)
export class ModelVersionResolver {
  constructor(private readonly loaders: RegistryLoaders) {}

  @ResolveField(() => ModelObject)
  async model(
    @Parent() version: ModelVersionObject,
    @Context() context: object,
  ): Promise<ModelObject> {
    const model = await this.loaders.for(context).modelsById.load(version.modelId);
    if (model === null) throw new Error(`version ${version.id} has no model`);
    return toModelObject(model);
  }

  @ResolveField(() => [String], { description: 'Aliases pointing at this version.' })
  async aliases(
    @Parent() version: ModelVersionObject,
    @Context() context: object,
  ): Promise<string[]> {
    return this.loaders.for(context).aliasesOfVersion.load(version.id);
  }

  @ResolveField(() => LineageObject)
  lineage(@Parent() version: ModelVersionObject): LineageObject {
    return {
      versionId: version.id,
      mlflowRunId: version.mlflowRunId,
      parentVersionId: version.parentVersionId,
      parentRelation: version.parentRelationValue,
      codeRevision: version.codeRevisionValue,
    };
  }
}

@Resolver(() => ModelAliasObject)
export class ModelAliasResolver {
  constructor(
    private readonly loaders: RegistryLoaders,
    @Inject(ARTIFACT_STORE) private readonly artifacts: ArtifactStore,
  ) {}

  @ResolveField(() => ModelVersionObject)
  async version(
    @Parent() alias: ModelAliasObject,
    @Context() context: object,
  ): Promise<ModelVersionObject> {
    const version = await this.loaders.for(context).versionsById.load(alias.versionId);
    if (version === null) throw new Error(`alias ${alias.alias} points at no version`);
    return toModelVersionObject(version, this.artifacts);
  }
}
