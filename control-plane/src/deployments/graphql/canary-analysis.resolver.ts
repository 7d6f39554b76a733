import { Args, Context, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { RequireRole } from '../../auth';
import { type Connection, PageArgs, pageSize, toConnection } from '../../graphql/relay-connection';
import {
  AnalysisDecisionConnection,
  AnalysisDecisionObject,
  CanaryAnalysisObject,
} from './canary-analysis.object';
import { DeploymentLoaders } from './deployment-loaders';
import { toDecisionObject } from './deployment.mapper';
import { decodeIdCursor } from './id-cursor';

@Resolver(() => CanaryAnalysisObject)
@RequireRole('viewer')
export class CanaryAnalysisResolver {
  constructor(private readonly loaders: DeploymentLoaders) {}

  @ResolveField(() => AnalysisDecisionConnection, { description: 'Newest first.' })
  async decisions(
    @Parent() analysis: CanaryAnalysisObject,
    @Args() page: PageArgs,
    @Context() context: object,
  ): Promise<Connection<AnalysisDecisionObject>> {
    const first = pageSize(page);
    const rows = await this.loaders
      .for(context)
      .decisionsPage(analysis.id, first, decodeIdCursor('decision', page.after));
    return toConnection(rows, first, 'decision', (row) => row.id, toDecisionObject);
  }
}
