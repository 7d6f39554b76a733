import { Args, Context, Query, Resolver } from '@nestjs/graphql';
import { toModelObject } from './model.mapper';
import { ModelNamePipe } from './model-name.pipe';
import { ModelObject } from './model.object';
import { RegistryLoaders } from './registry-loaders';

@Resolver(() => ModelObject)
export class ModelsResolver {
  constructor(private readonly loaders: RegistryLoaders) {}

  @Query(() => [ModelObject], { description: 'All registered models, by name.' })
  async models(@Context() context: object): Promise<ModelObject[]> {
    return (await this.loaders.for(context).allModels()).map(toModelObject);
  }

  @Query(() => ModelObject, { nullable: true, description: 'The named model, or null if unknown.' })
  async model(
    @Args('name', ModelNamePipe) name: string,
    @Context() context: object,
  ): Promise<ModelObject | null> {
    const model = await this.loaders.for(context).modelsByName.load(name);
    return model === null ? null : toModelObject(model);
  }
}
