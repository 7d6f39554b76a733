import { Injectable } from '@nestjs/common';
import { BatchLoader, RequestScoped } from '../../graphql/batch-loader';
import { type DatasetUse, LineageService } from '../../lineage/lineage.service';
import { type MlflowRunEntity } from '../../lineage/entities/mlflow-run.entity';
import { type ModelAliasEntity } from '../entities/model-alias.entity';
import { type ModelVersionEntity } from '../entities/model-version.entity';
import { type ModelEntity } from '../entities/model.entity';
import { ModelCatalogService, type ModelFilter } from '../model-catalog.service';

/** What one GraphQL request reads from the registry, each read made once however often it is asked. */
export interface RegistryReads {
  /** A page of `models`; aliases asking for the same page share one query. */
  modelsPage(filter: ModelFilter, first: number, afterName?: string): Promise<ModelEntity[]>;
  modelsByName: BatchLoader<string, ModelEntity | null>;
  modelsById: BatchLoader<string, ModelEntity | null>;
  /** Every version of a model, lowest number first (models have few; pages are cut from this). */
  versionsOfModel: BatchLoader<string, ModelVersionEntity[]>;
  versionsById: BatchLoader<string, ModelVersionEntity | null>;
  aliasesOfModel: BatchLoader<string, ModelAliasEntity[]>;
  aliasesOfVersion: BatchLoader<string, string[]>;
  runsById: BatchLoader<string, MlflowRunEntity | null>;
  datasetsOfVersion: BatchLoader<string, DatasetUse[]>;
  childrenOfVersion: BatchLoader<string, ModelVersionEntity[]>;
}

@Injectable()
export class RegistryLoaders {
  private readonly reads: RequestScoped<RegistryReads>;

  constructor(catalog: ModelCatalogService, lineage: LineageService) {
    this.reads = new RequestScoped(() => {
      const pages = new Map<string, Promise<ModelEntity[]>>();
      return {
        modelsPage: (filter: ModelFilter, first: number, afterName?: string) => {
          const key = JSON.stringify([filter.nameContains, filter.task, first, afterName]);
          let page = pages.get(key);
          if (page === undefined) {
            page = catalog.modelsPage(filter, first, afterName);
            pages.set(key, page);
          }
          return page;
        },
        modelsByName: new BatchLoader((names) => catalog.findModelsByNames(names), null),
        modelsById: new BatchLoader((ids) => catalog.findModelsByIds(ids), null),
        versionsOfModel: new BatchLoader((ids) => catalog.versionsOfModels(ids), []),
        versionsById: new BatchLoader((ids) => catalog.versionsByIds(ids), null),
        aliasesOfModel: new BatchLoader((ids) => catalog.aliasesOfModels(ids), []),
        aliasesOfVersion: new BatchLoader((ids) => catalog.aliasesOfVersions(ids), []),
        runsById: new BatchLoader((ids) => lineage.runsByIds(ids), null),
        datasetsOfVersion: new BatchLoader((ids) => lineage.datasetsOfVersions(ids), []),
        childrenOfVersion: new BatchLoader((ids) => lineage.childrenOf(ids), []),
      };
    });
  }

  /** The reads of the request whose GraphQL context this is. */
  for(requestContext: object): RegistryReads {
    return this.reads.for(requestContext);
  }
}
