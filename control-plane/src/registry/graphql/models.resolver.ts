import { Args, Query, Resolver } from '@nestjs/graphql';
import { ModelCatalogService } from '../model-catalog.service';
import { toModelObject } from './model.mapper';
import { ModelObject } from './model.object';

@Resolver(() => ModelObject)
export class ModelsResolver {
  constructor(private readonly catalog: ModelCatalogService) {}

  @Query(() => [ModelObject], { description: 'All registered models, by name.' })
  async models(): Promise<ModelObject[]> {
    return (await this.catalog.listModels()).map(toModelObject);
  }

  @Query(() => ModelObject, { nullable: true, description: 'The named model, or null if unknown.' })
  async model(@Args('name') name: string): Promise<ModelObject | null> {
    const model = await this.catalog.findModelByName(name);
    return model === null ? null : toModelObject(model);
  }
}
