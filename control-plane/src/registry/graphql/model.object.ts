import { Field, ID, InputType, ObjectType } from '@nestjs/graphql';
import { connectionType } from '../../graphql/relay-connection';

@ObjectType('Model', { description: "A model's identity; what it computes is on its versions." })
export class ModelObject {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'Its folder name in the Triton model repository.' })
  name!: string;

  @Field({ description: 'e.g. object-detection.' })
  task!: string;

  @Field(() => String, { nullable: true })
  owner!: string | null;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field()
  createdAt!: Date;
}

export const ModelConnection = connectionType(ModelObject, 'Model');

@ObjectType('ModelAlias', { description: 'A name (production, candidate, ...) for one version.' })
export class ModelAliasObject {
  @Field()
  alias!: string;

  versionId!: string;

  @Field()
  updatedBy!: string;

  @Field()
  updatedAt!: Date;
}

@InputType('ModelFilter')
export class ModelFilterInput {
  @Field(() => String, { nullable: true, description: 'Models whose name contains this text.' })
  nameContains?: string;

  @Field(() => String, { nullable: true })
  task?: string;
}
