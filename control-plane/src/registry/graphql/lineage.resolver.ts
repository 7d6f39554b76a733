import { Inject } from '@nestjs/common';
import { RequireRole } from '../../auth';
import { Args, Context, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { toDatasetObject, toMlflowRunObject } from '../../lineage/graphql/lineage.mapper';
import {
  DatasetObject,
  DatasetUseObject,
  LineageObject,
  MlflowRunObject,
} from '../../lineage/graphql/lineage.object';
import { LineageService } from '../../lineage/lineage.service';
import { ARTIFACT_STORE, type ArtifactStore } from '../artifacts/artifact-store';
import { checkLength } from '../registration/register-command-checks';
import { toModelVersionObject } from './model.mapper';
import { ModelVersionObject } from './model-version.object';
import { RegistryLoaders } from './registry-loaders';

/** Lineage both ways: a version's run, datasets, parent and children; a dataset's or run's versions. */
@Resolver(() => LineageObject)
export class LineageResolver {
  constructor(
    private readonly loaders: RegistryLoaders,
    @Inject(ARTIFACT_STORE) private readonly artifacts: ArtifactStore,
  ) {}

  @ResolveField(() => MlflowRunObject, { nullable: true })
  async run(
    @Parent() lineage: LineageObject,
    @Context() context: object,
  ): Promise<MlflowRunObject | null> {
    if (lineage.mlflowRunId === null) return null;
    const run = await this.loaders.for(context).runsById.load(lineage.mlflowRunId);
    return run === null ? null : toMlflowRunObject(run);
  }

  @ResolveField(() => [DatasetUseObject])
  async datasets(
    @Parent() lineage: LineageObject,
    @Context() context: object,
  ): Promise<DatasetUseObject[]> {
    const uses = await this.loaders.for(context).datasetsOfVersion.load(lineage.versionId);
    return uses.map((use) => ({ dataset: toDatasetObject(use.dataset), context: use.context }));
  }

  @ResolveField(() => ModelVersionObject, {
    nullable: true,
    description: 'The version this one was made from.',
  })
  async parent(
    @Parent() lineage: LineageObject,
    @Context() context: object,
  ): Promise<ModelVersionObject | null> {
    if (lineage.parentVersionId === null) return null;
    const parent = await this.loaders.for(context).versionsById.load(lineage.parentVersionId);
    return parent === null ? null : toModelVersionObject(parent, this.artifacts);
  }

  @ResolveField(() => [ModelVersionObject], { description: 'Versions made from this one.' })
  async children(
    @Parent() lineage: LineageObject,
    @Context() context: object,
  ): Promise<ModelVersionObject[]> {
    const children = await this.loaders.for(context).childrenOfVersion.load(lineage.versionId);
    return children.map((child) => toModelVersionObject(child, this.artifacts));
  }
}

@Resolver(() => DatasetObject)
@RequireRole('viewer')
export class DatasetResolver {
  constructor(
    private readonly lineage: LineageService,
    @Inject(ARTIFACT_STORE) private readonly artifacts: ArtifactStore,
  ) {}

  @Query(() => [DatasetObject], {
    description: 'Dataset versions (every digest of a name, or all), newest first, at most 100.',
  })
  async datasets(
    @Args('name', { type: () => String, nullable: true }) name: string | null,
  ): Promise<DatasetObject[]> {
    if (name != null) checkLength(name, 1024, 'name');
    return (await this.lineage.datasets(name ?? undefined)).map(toDatasetObject);
  }

  @ResolveField(() => [ModelVersionObject], { description: 'Versions trained or evaluated on it.' })
  async versions(@Parent() dataset: DatasetObject): Promise<ModelVersionObject[]> {
    return (await this.lineage.versionsFromDataset(dataset.id)).map((version) =>
      toModelVersionObject(version, this.artifacts),
    );
  }
}

@Resolver(() => MlflowRunObject)
@RequireRole('viewer')
export class MlflowRunResolver {
  constructor(
    private readonly lineage: LineageService,
    @Inject(ARTIFACT_STORE) private readonly artifacts: ArtifactStore,
  ) {}

  @Query(() => MlflowRunObject, {
    nullable: true,
    description: 'A run versions were registered from.',
  })
  async mlflowRun(@Args('runId') runId: string): Promise<MlflowRunObject | null> {
    checkLength(runId, 64, 'runId');
    const run = (await this.lineage.runsByIds([runId])).get(runId);
    return run === undefined ? null : toMlflowRunObject(run);
  }

  @ResolveField(() => [ModelVersionObject], { description: 'Versions registered from this run.' })
  async versions(@Parent() run: MlflowRunObject): Promise<ModelVersionObject[]> {
    return (await this.lineage.versionsFromRun(run.runId)).map((version) =>
      toModelVersionObject(version, this.artifacts),
    );
  }
}
