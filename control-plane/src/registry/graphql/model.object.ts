import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { ModelVersionObject } from './model-version.object';
import { TensorSpecObject } from './tensor-spec.object';

@ObjectType('Model', { description: 'A model registered from the Triton model repository.' })
export class ModelObject {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field({ description: 'Triton platform, e.g. onnxruntime_onnx.' })
  platform!: string;

  @Field({ description: 'Triton backend, e.g. onnxruntime.' })
  backend!: string;

  @Field(() => Int, { description: '0 when the model does not batch.' })
  maxBatchSize!: number;

  @Field(() => [TensorSpecObject])
  inputs!: TensorSpecObject[];

  @Field(() => [TensorSpecObject])
  outputs!: TensorSpecObject[];

  @Field(() => [String], { nullable: true, description: 'Class labels, by class index.' })
  labels!: string[] | null;

  @Field(() => [ModelVersionObject], { description: 'Oldest version first.' })
  versions!: ModelVersionObject[];

  @Field(() => ModelVersionObject, {
    nullable: true,
    description: 'The highest version number.',
  })
  latestVersion!: ModelVersionObject | null;

  @Field(() => String, {
    nullable: true,
    description: 'config.pbtxt of the latest version, as registered.',
  })
  config!: string | null;
}
