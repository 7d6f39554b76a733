import { Field, Int, ObjectType } from '@nestjs/graphql';

@ObjectType('TensorSpec', { description: 'An input or output tensor of a model.' })
export class TensorSpecObject {
  @Field()
  name!: string;

  @Field({ description: 'KServe v2 datatype, e.g. FP32, UINT8, BYTES.' })
  datatype!: string;

  @Field(() => [Int], {
    description: 'Shape without the batch dimension; -1 marks a variable size.',
  })
  dims!: number[];
}
