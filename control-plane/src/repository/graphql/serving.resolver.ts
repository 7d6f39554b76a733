import { Inject } from '@nestjs/common';
import { Args, Context, Mutation, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { type Actor } from '../../audit/actor';
import { CurrentActor, RequireRole } from '../../auth';
import { RequestScoped } from '../../graphql/batch-loader';
import { ARTIFACT_STORE, type ArtifactStore } from '../../registry/artifacts/artifact-store';
import { toModelVersionObject } from '../../registry/graphql/model.mapper';
import { ModelVersionObject } from '../../registry/graphql/model-version.object';
import { ModelVersionRefInput } from '../../registry/graphql/registry-mutations.types';
import { RegistryLoaders } from '../../registry/graphql/registry-loaders';
import { BackendFleet, type BackendIndex } from '../backend-fleet';
import { ModelServingService, type ServingChange } from '../model-serving.service';
import { BackendLoadStateObject, ServingChangePayload } from './serving.types';

@Resolver(() => ModelVersionObject)
export class ServingResolver {
  /** Each backend's index is asked once per GraphQL request, however many versions ask. */
  private readonly indexes = new RequestScoped<{ value?: Promise<BackendIndex[]> }>(() => ({}));

  constructor(
    private readonly serving: ModelServingService,
    private readonly fleet: BackendFleet,
    private readonly loaders: RegistryLoaders,
    @Inject(ARTIFACT_STORE) private readonly artifacts: ArtifactStore,
  ) {}

  @Mutation(() => ServingChangePayload, {
    description: 'Writes the version into the model repository and has every backend load it.',
  })
  @RequireRole('operator')
  async loadModelVersion(
    @Args('input') input: ModelVersionRefInput,
    @CurrentActor() actor: Actor,
  ): Promise<ServingChangePayload> {
    return this.payload(await this.serving.load(actor, input));
  }

  @Mutation(() => ServingChangePayload, {
    description: 'Has every backend stop serving the version.',
  })
  @RequireRole('operator')
  async unloadModelVersion(
    @Args('input') input: ModelVersionRefInput,
    @CurrentActor() actor: Actor,
  ): Promise<ServingChangePayload> {
    return this.payload(await this.serving.unload(actor, input));
  }

  @ResolveField(() => [BackendLoadStateObject], {
    description: 'The state of this version on every configured backend, asked now.',
  })
  async loadStates(
    @Parent() version: ModelVersionObject,
    @Context() context: object,
  ): Promise<BackendLoadStateObject[]> {
    const cache = this.indexes.for(context);
    cache.value ??= this.fleet.indexes();
    const model = await this.loaders.for(context).modelsById.load(version.modelId);
    return (await cache.value).map((index) => {
      if (index.models === undefined) {
        return { backend: index.backend, state: 'UNKNOWN', reason: index.error ?? null };
      }
      const entry = index.models.find(
        (row) =>
          row.model === model?.name && (row.version === version.version || row.version === ''),
      );
      return entry === undefined
        ? { backend: index.backend, state: 'UNAVAILABLE', reason: 'not loaded' }
        : { backend: index.backend, state: entry.state, reason: entry.reason || null };
    });
  }

  private payload(change: ServingChange): ServingChangePayload {
    return {
      modelVersion: toModelVersionObject(change.version, this.artifacts),
      servedVersions: change.served,
      backends: change.backends,
    };
  }
}
