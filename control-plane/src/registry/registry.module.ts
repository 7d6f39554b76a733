import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ModelVersionEntity } from './entities/model-version.entity';
import { ModelEntity } from './entities/model.entity';
import { ModelsResolver } from './graphql/models.resolver';
import { ModelCatalogService } from './model-catalog.service';
import { RepositorySyncService } from './repository-sync.service';

@Module({
  imports: [TypeOrmModule.forFeature([ModelEntity, ModelVersionEntity])],
  providers: [ModelCatalogService, RepositorySyncService, ModelsResolver],
  exports: [ModelCatalogService, RepositorySyncService],
})
export class RegistryModule {}
