import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type Repository } from 'typeorm';
import { ModelAliasEntity } from './entities/model-alias.entity';
import { ModelVersionEntity } from './entities/model-version.entity';
import { ModelEntity } from './entities/model.entity';
import { compareVersionNames } from './model-version-order';

export interface ModelFilter {
  nameContains?: string;
  task?: string;
}

/** Read side of the registry; every method answers many keys with one query (for DataLoaders). */
@Injectable()
export class ModelCatalogService {
  constructor(
    @InjectRepository(ModelEntity) private readonly models: Repository<ModelEntity>,
    @InjectRepository(ModelVersionEntity) private readonly versions: Repository<ModelVersionEntity>,
    @InjectRepository(ModelAliasEntity) private readonly aliases: Repository<ModelAliasEntity>,
  ) {}

  /** By name; `take + 1` rows after the model named `afterName` (the extra one tells of a next page). */
  async modelsPage(filter: ModelFilter, take: number, afterName?: string): Promise<ModelEntity[]> {
    const query = this.models
      .createQueryBuilder('model')
      .orderBy('model.name', 'ASC')
      .take(take + 1);
    if (filter.nameContains !== undefined) {
      query.andWhere(`model.name ILIKE :pattern ESCAPE '\\'`, {
        pattern: `%${escapeLike(filter.nameContains)}%`,
      });
    }
    if (filter.task !== undefined) query.andWhere('model.task = :task', { task: filter.task });
    if (afterName !== undefined) query.andWhere('model.name > :afterName', { afterName });
    return query.getMany();
  }

  async findModelsByNames(names: readonly string[]): Promise<Map<string, ModelEntity>> {
    if (names.length === 0) return new Map();
    const rows = await this.models.findBy({ name: In([...names]) });
    return new Map(rows.map((row) => [row.name, row]));
  }

  async findModelsByIds(ids: readonly string[]): Promise<Map<string, ModelEntity>> {
    if (ids.length === 0) return new Map();
    const rows = await this.models.findBy({ id: In([...ids]) });
    return new Map(rows.map((row) => [row.id, row]));
  }

  /** Every version of each model, oldest (lowest number) first. */
  async versionsOfModels(modelIds: readonly string[]): Promise<Map<string, ModelVersionEntity[]>> {
    const byModel = new Map<string, ModelVersionEntity[]>(modelIds.map((id) => [id, []]));
    if (modelIds.length === 0) return byModel;
    const rows = await this.versions.findBy({ modelId: In([...modelIds]) });
    rows.sort((a, b) => compareVersionNames(a.version, b.version));
    for (const row of rows) byModel.get(row.modelId)?.push(row);
    return byModel;
  }

  async versionsByIds(ids: readonly string[]): Promise<Map<string, ModelVersionEntity>> {
    if (ids.length === 0) return new Map();
    const rows = await this.versions.findBy({ id: In([...ids]) });
    return new Map(rows.map((row) => [row.id, row]));
  }

  async aliasesOfModels(modelIds: readonly string[]): Promise<Map<string, ModelAliasEntity[]>> {
    const byModel = new Map<string, ModelAliasEntity[]>(modelIds.map((id) => [id, []]));
    if (modelIds.length === 0) return byModel;
    const rows = await this.aliases.find({
      where: { modelId: In([...modelIds]) },
      order: { alias: 'ASC' },
    });
    for (const row of rows) byModel.get(row.modelId)?.push(row);
    return byModel;
  }

  async aliasesOfVersions(versionIds: readonly string[]): Promise<Map<string, string[]>> {
    const byVersion = new Map<string, string[]>(versionIds.map((id) => [id, []]));
    if (versionIds.length === 0) return byVersion;
    const rows = await this.aliases.find({
      where: { versionId: In([...versionIds]) },
      order: { alias: 'ASC' },
    });
    for (const row of rows) byVersion.get(row.versionId)?.push(row.alias);
    return byVersion;
  }
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}
