import { Injectable } from '@nestjs/common';
import { BatchLoader, RequestScoped } from '../../graphql/batch-loader';
import { type ModelEntity } from '../entities/model.entity';
import { ModelCatalogService } from '../model-catalog.service';

/** What one GraphQL request reads from the registry, each read made once however often it is asked. */
export interface RegistryReads {
  /** Every model; aliases of `models` in one operation share one query. */
  allModels(): Promise<ModelEntity[]>;
  /** `model(name:)` fields of one operation share one `WHERE name IN (...)` query. */
  modelsByName: BatchLoader<string, ModelEntity | null>;
}

@Injectable()
export class RegistryLoaders {
  private readonly reads: RequestScoped<RegistryReads>;

  constructor(catalog: ModelCatalogService) {
    this.reads = new RequestScoped(() => {
      let allModels: Promise<ModelEntity[]> | undefined;
      return {
        allModels: () => (allModels ??= catalog.listModels()),
        modelsByName: new BatchLoader<string, ModelEntity | null>(
          (names) => catalog.findModelsByNames(names),
          null,
        ),
      };
    });
  }

  /** The reads of the request whose GraphQL context this is. */
  for(requestContext: object): RegistryReads {
    return this.reads.for(requestContext);
  }
}
