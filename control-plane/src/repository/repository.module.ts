import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { RegistryModule } from '../registry/registry.module';
import { BackendFleet } from './backend-fleet';
import { ServingResolver } from './graphql/serving.resolver';
import { ModelServingService } from './model-serving.service';
import { RepositoryWriter } from './repository-writer';

/** The Triton model repository the control plane owns, and loading versions on every backend. */
@Module({
  imports: [AuditModule, RegistryModule],
  providers: [BackendFleet, RepositoryWriter, ModelServingService, ServingResolver],
})
export class RepositoryModule {}
