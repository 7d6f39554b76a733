import { Args, Context, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { RequireRole } from '../../auth';
import {
  type Connection,
  decodeCursor,
  PageArgs,
  pageSize,
  toConnection,
} from '../../graphql/relay-connection';
import { ModelNamePipe } from '../../registry/graphql/model-name.pipe';
import { CanaryAnalysisConnection, CanaryAnalysisObject } from './canary-analysis.object';
import { DeploymentLoaders } from './deployment-loaders';
import { toAnalysisObject, toDeploymentObject, toRevisionObject } from './deployment.mapper';
import {
  DeploymentConnection,
  DeploymentObject,
  DeploymentRevisionConnection,
  DeploymentRevisionObject,
} from './deployment.object';
import { decodeIdCursor } from './id-cursor';

@Resolver(() => DeploymentObject)
@RequireRole('viewer')
export class DeploymentsResolver {
  constructor(private readonly loaders: DeploymentLoaders) {}

  @Query(() => DeploymentObject, {
    nullable: true,
    description: "The model's deployment, or null if it has none.",
  })
  async deployment(
    @Args('model', ModelNamePipe) model: string,
    @Context() context: object,
  ): Promise<DeploymentObject | null> {
    const deployment = await this.loaders.for(context).deploymentsByModel.load(model);
    return deployment === null ? null : toDeploymentObject(deployment);
  }

  @Query(() => DeploymentConnection, { description: 'Deployments, by model name.' })
  async deployments(
    @Args() page: PageArgs,
    @Context() context: object,
  ): Promise<Connection<DeploymentObject>> {
    const first = pageSize(page);
    const rows = await this.loaders
      .for(context)
      .deploymentsPage(first, decodeCursor('deployment', page.after));
    return toConnection(rows, first, 'deployment', (row) => row.modelName, toDeploymentObject);
  }

  @ResolveField(() => DeploymentRevisionObject)
  async activeRevision(
    @Parent() deployment: DeploymentObject,
    @Context() context: object,
  ): Promise<DeploymentRevisionObject> {
    const revision = await this.loaders
      .for(context)
      .revisionsById.load(deployment.activeRevisionId);
    if (revision === null) throw new Error(`revision ${deployment.activeRevisionId} is missing`);
    return toRevisionObject(revision);
  }

  @ResolveField(() => DeploymentRevisionConnection, { description: 'Newest first.' })
  async revisions(
    @Parent() deployment: DeploymentObject,
    @Args() page: PageArgs,
    @Context() context: object,
  ): Promise<Connection<DeploymentRevisionObject>> {
    const first = pageSize(page);
    const rows = await this.loaders
      .for(context)
      .revisionsPage(deployment.id, first, decodeIdCursor('revision', page.after));
    return toConnection(rows, first, 'revision', (row) => row.id, toRevisionObject);
  }

  @ResolveField(() => CanaryAnalysisObject, {
    nullable: true,
    description: 'The running analysis, or else the latest.',
  })
  async analysis(
    @Parent() deployment: DeploymentObject,
    @Context() context: object,
  ): Promise<CanaryAnalysisObject | null> {
    const [latest] = await this.loaders.for(context).analysesOfDeployment.load(deployment.id);
    return latest === undefined ? null : toAnalysisObject(latest);
  }

  @ResolveField(() => CanaryAnalysisConnection, { description: 'Newest first.' })
  async analyses(
    @Parent() deployment: DeploymentObject,
    @Args() page: PageArgs,
    @Context() context: object,
  ): Promise<Connection<CanaryAnalysisObject>> {
    const first = pageSize(page);
    const after = decodeCursor('analysis', page.after);
    const all = await this.loaders.for(context).analysesOfDeployment.load(deployment.id);
    const start = after === undefined ? 0 : all.findIndex((row) => row.id === after) + 1;
    return toConnection(
      all.slice(start, start + first + 1),
      first,
      'analysis',
      (row) => row.id,
      toAnalysisObject,
    );
  }
}
