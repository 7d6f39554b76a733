import { Field, ObjectType } from '@nestjs/graphql';
import { ModelVersionObject } from '../../registry/graphql/model-version.object';

@ObjectType('BackendLoadState', { description: 'How one backend reports one version.' })
export class BackendLoadStateObject {
  @Field()
  backend!: string;

  @Field({
    description:
      "The backend's word: READY, UNAVAILABLE, LOADING, UNLOADING, or UNKNOWN when it cannot be asked.",
  })
  state!: string;

  @Field(() => String, { nullable: true })
  reason!: string | null;
}

@ObjectType('ServingChangePayload')
export class ServingChangePayload {
  @Field(() => ModelVersionObject)
  modelVersion!: ModelVersionObject;

  @Field(() => [String], { description: 'The versions of the model every backend serves now.' })
  servedVersions!: string[];

  @Field(() => [String], { description: 'The backends that applied the change.' })
  backends!: string[];
}
