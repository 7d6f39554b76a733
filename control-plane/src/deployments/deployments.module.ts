import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { RegistryModule } from '../registry/registry.module';
import { CanaryAnalysisCommands } from './canary-analysis-commands';
import { DeploymentChanges } from './deployment-changes';
import { DeploymentReads } from './deployment-reads.service';
import { DeploymentsService } from './deployments.service';
import { AnalysisDecisionEntity } from './entities/analysis-decision.entity';
import { CanaryAnalysisEntity } from './entities/canary-analysis.entity';
import { DeploymentRevisionEntity } from './entities/deployment-revision.entity';
import { DeploymentEntity } from './entities/deployment.entity';
import { CanaryAnalysisResolver } from './graphql/canary-analysis.resolver';
import { DeploymentLoaders } from './graphql/deployment-loaders';
import { DeploymentMutationsResolver } from './graphql/deployment-mutations.resolver';
import { DeploymentsResolver } from './graphql/deployments.resolver';
import { RevisionSteps } from './revision-steps';
import { RoutingSnapshots } from './routing-snapshots.service';

/** Deployments as revisions, rollback, canary analyses' state, and the routing table they make. */
@Module({
  imports: [
    TypeOrmModule.forFeature([
      DeploymentEntity,
      DeploymentRevisionEntity,
      CanaryAnalysisEntity,
      AnalysisDecisionEntity,
    ]),
    AuditModule,
    RegistryModule,
  ],
  providers: [
    DeploymentChanges,
    DeploymentReads,
    RevisionSteps,
    CanaryAnalysisCommands,
    DeploymentsService,
    RoutingSnapshots,
    DeploymentLoaders,
    DeploymentsResolver,
    CanaryAnalysisResolver,
    DeploymentMutationsResolver,
  ],
  exports: [DeploymentsService, RoutingSnapshots],
})
export class DeploymentsModule {}
