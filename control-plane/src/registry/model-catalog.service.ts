import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type Repository } from 'typeorm';
import { ModelEntity } from './entities/model.entity';
import { compareVersionNames } from './model-version-order';

/** Read side of the registry: models with their versions loaded in the same query. */
@Injectable()
export class ModelCatalogService {
  constructor(@InjectRepository(ModelEntity) private readonly models: Repository<ModelEntity>) {}

  async listModels(): Promise<ModelEntity[]> {
    const models = await this.models.find({
      relations: { versions: true },
      order: { name: 'ASC' },
    });
    return models.map(withOrderedVersions);
  }

  async findModelByName(name: string): Promise<ModelEntity | null> {
    const model = await this.models.findOne({ where: { name }, relations: { versions: true } });
    return model === null ? null : withOrderedVersions(model);
  }
}

function withOrderedVersions(model: ModelEntity): ModelEntity {
  model.versions = [...(model.versions ?? [])].sort((a, b) =>
    compareVersionNames(a.version, b.version),
  );
  return model;
}
