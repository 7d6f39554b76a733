import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type Repository } from 'typeorm';
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

  /** The named models that exist, by name, in one query. */
  async findModelsByNames(names: readonly string[]): Promise<Map<string, ModelEntity>> {
    if (names.length === 0) return new Map();
    const models = await this.models.find({
      where: { name: In([...names]) },
      relations: { versions: true },
    });
    return new Map(models.map((model) => [model.name, withOrderedVersions(model)]));
  }
}

function withOrderedVersions(model: ModelEntity): ModelEntity {
  model.versions = [...(model.versions ?? [])].sort((a, b) =>
    compareVersionNames(a.version, b.version),
  );
  return model;
}
