import { Field, Float, ID, ObjectType } from '@nestjs/graphql';

@ObjectType('ModelVersion', { description: 'One version folder of a model and its artifact.' })
export class ModelVersionObject {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'Triton version folder name, e.g. "1".' })
  version!: string;

  @Field({ description: 'Hex SHA-256 of the model file.' })
  artifactSha256!: string;

  // Float, because GraphQL Int is 32-bit and model files can exceed 2 GiB.
  @Field(() => Float, { description: 'Size of the model file in bytes.' })
  artifactSizeBytes!: number;

  @Field({ description: 'Whether the version policy in config.pbtxt serves this version.' })
  served!: boolean;

  @Field()
  createdAt!: Date;
}
