import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { LineageModule } from '../lineage/lineage.module';
import { UploadsModule } from '../uploads/uploads.module';
import { ARTIFACT_STORE } from './artifacts/artifact-store';
import { REGISTRY_STORAGE_PROVIDERS } from './artifacts/registry-storage';
import { StagingArea } from './artifacts/staging-area';
import { ModelAliasEntity } from './entities/model-alias.entity';
import { ModelVersionEntity } from './entities/model-version.entity';
import { ModelEntity } from './entities/model.entity';
import { DatasetResolver, LineageResolver, MlflowRunResolver } from './graphql/lineage.resolver';
import { ModelAliasResolver, ModelVersionResolver } from './graphql/model-version.resolver';
import { ModelsResolver } from './graphql/models.resolver';
import { RegistryLoaders } from './graphql/registry-loaders';
import { RegistryMutationsResolver } from './graphql/registry-mutations.resolver';
import { ModelAliasesService } from './model-aliases.service';
import { ModelCatalogService } from './model-catalog.service';
import { ArtifactIntake } from './registration/artifact-intake';
import { RegistrationService } from './registration/registration.service';
import { VersionValidation } from './registration/version-validation';
import { RepositorySyncService } from './repository-sync.service';
import { VersionCurationService } from './version-curation.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([ModelEntity, ModelVersionEntity, ModelAliasEntity]),
    AuditModule,
    LineageModule,
    UploadsModule,
  ],
  providers: [
    ...REGISTRY_STORAGE_PROVIDERS,
    ModelCatalogService,
    RepositorySyncService,
    ArtifactIntake,
    RegistrationService,
    VersionValidation,
    ModelAliasesService,
    VersionCurationService,
    RegistryLoaders,
    ModelsResolver,
    ModelVersionResolver,
    ModelAliasResolver,
    LineageResolver,
    DatasetResolver,
    MlflowRunResolver,
    RegistryMutationsResolver,
  ],
  exports: [
    ModelCatalogService,
    RepositorySyncService,
    RegistryLoaders,
    ARTIFACT_STORE,
    StagingArea,
  ],
})
export class RegistryModule {}
