import { Inject } from '@nestjs/common';
import { RequireRole } from '../../auth';
import { Args, Context, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { ControlPlaneFailure } from '../../errors/control-plane-error';
import {
  type Connection,
  decodeCursor,
  PageArgs,
  pageSize,
  toConnection,
} from '../../graphql/relay-connection';
import { ARTIFACT_STORE, type ArtifactStore } from '../artifacts/artifact-store';
import { checkModelName } from '../registration/register-command-checks';
import { toModelAliasObject, toModelObject, toModelVersionObject } from './model.mapper';
import { ModelNamePipe } from './model-name.pipe';
import {
  ModelVersionConnection,
  ModelVersionObject,
  ModelVersionStatusValue,
} from './model-version.object';
import { ModelAliasObject, ModelConnection, ModelFilterInput, ModelObject } from './model.object';
import { RegistryLoaders } from './registry-loaders';

@Resolver(() => ModelObject)
@RequireRole('viewer')
export class ModelsResolver {
  constructor(
    private readonly loaders: RegistryLoaders,
    @Inject(ARTIFACT_STORE) private readonly artifacts: ArtifactStore,
  ) {}

  @Query(() => ModelConnection, { description: 'Registered models, by name.' })
  async models(
    @Args() page: PageArgs,
    @Args('filter', { type: () => ModelFilterInput, nullable: true })
    filter: ModelFilterInput | null,
    @Context() context: object,
  ): Promise<Connection<ModelObject>> {
    const first = pageSize(page);
    const rows = await this.loaders
      .for(context)
      .modelsPage(filter ?? {}, first, decodeCursor('model', page.after));
    return toConnection(rows, first, 'model', (row) => row.name, toModelObject);
  }

  @Query(() => ModelObject, { nullable: true, description: 'The named model, or null if unknown.' })
  async model(
    @Args('name', ModelNamePipe) name: string,
    @Context() context: object,
  ): Promise<ModelObject | null> {
    const model = await this.loaders.for(context).modelsByName.load(name);
    return model === null ? null : toModelObject(model);
  }

  @Query(() => ModelVersionObject, {
    nullable: true,
    description: 'One version of a model, by number or by alias (exactly one of the two).',
  })
  async modelVersion(
    @Args('model', ModelNamePipe) modelName: string,
    @Args('version', { type: () => String, nullable: true }) version: string | null,
    @Args('alias', { type: () => String, nullable: true }) alias: string | null,
    @Context() context: object,
  ): Promise<ModelVersionObject | null> {
    if ((version == null) === (alias == null)) {
      throw new ControlPlaneFailure('BAD_USER_INPUT', 'give exactly one of version and alias', {
        argument: 'version',
      });
    }
    checkModelName(modelName, 'model');
    const reads = this.loaders.for(context);
    const model = await reads.modelsByName.load(modelName);
    if (model === null) return null;
    const versions = await reads.versionsOfModel.load(model.id);
    let found = versions.find((row) => row.version === version);
    if (alias != null) {
      const aliased = (await reads.aliasesOfModel.load(model.id)).find(
        (row) => row.alias === alias,
      );
      found = aliased && versions.find((row) => row.id === aliased.versionId);
    }
    return found === undefined ? null : toModelVersionObject(found, this.artifacts);
  }

  @ResolveField(() => ModelVersionConnection, { description: 'Lowest version number first.' })
  async versions(
    @Parent() model: ModelObject,
    @Args() page: PageArgs,
    @Args('status', { type: () => ModelVersionStatusValue, nullable: true })
    status: ModelVersionStatusValue | null,
    @Context() context: object,
  ): Promise<Connection<ModelVersionObject>> {
    const first = pageSize(page);
    const after = decodeCursor('version', page.after);
    const all = await this.loaders.for(context).versionsOfModel.load(model.id);
    const matching = all.filter((row) => status == null || row.status === (status as string));
    const start = after === undefined ? 0 : matching.findIndex((row) => row.id === after) + 1;
    return toConnection(
      matching.slice(start, start + first + 1),
      first,
      'version',
      (row) => row.id,
      (row) => toModelVersionObject(row, this.artifacts),
    );
  }

  @ResolveField(() => ModelVersionObject, {
    nullable: true,
    description: 'The highest-numbered version that is not archived.',
  })
  async latestVersion(
    @Parent() model: ModelObject,
    @Context() context: object,
  ): Promise<ModelVersionObject | null> {
    const all = await this.loaders.for(context).versionsOfModel.load(model.id);
    const latest = all.filter((row) => row.status !== 'archived').at(-1);
    return latest === undefined ? null : toModelVersionObject(latest, this.artifacts);
  }

  @ResolveField(() => [ModelAliasObject])
  async aliases(
    @Parent() model: ModelObject,
    @Context() context: object,
  ): Promise<ModelAliasObject[]> {
    return (await this.loaders.for(context).aliasesOfModel.load(model.id)).map(toModelAliasObject);
  }
}
