import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ModelVersionEntity } from './entities/model-version.entity';
import { ModelEntity } from './entities/model.entity';
import { ModelsResolver } from './graphql/models.resolver';
import { RegistryLoaders } from './graphql/registry-loaders';
import { ModelCatalogService } from './model-catalog.service';
import { RepositorySyncService } from './repository-sync.service';

@Module({
  imports: [TypeOrmModule.forFeature([ModelEntity, ModelVersionEntity])],
  providers: [ModelCatalogService, RepositorySyncService, RegistryLoaders, ModelsResolver],
  exports: [ModelCatalogService, RepositorySyncService],
})
export class RegistryModule {}
