import { Field, Float, ID, ObjectType } from '@nestjs/graphql';

@ObjectType('KeyValue')
export class KeyValueObject {
  @Field()
  key!: string;

  @Field()
  value!: string;
}

@ObjectType('Metric')
export class MetricObject {
  @Field()
  key!: string;

  @Field(() => Float)
  value!: number;
}

@ObjectType('MlflowRun', {
  description: 'The MLflow run a version was registered from, as it was at registration.',
})
export class MlflowRunObject {
  @Field(() => ID)
  runId!: string;

  @Field()
  trackingUri!: string;

  @Field()
  experimentId!: string;

  @Field(() => String, { nullable: true })
  experimentName!: string | null;

  @Field(() => String, { nullable: true })
  status!: string | null;

  @Field(() => Date, { nullable: true })
  startTime!: Date | null;

  @Field(() => Date, { nullable: true })
  endTime!: Date | null;

  @Field(() => [KeyValueObject])
  params!: KeyValueObject[];

  @Field(() => [MetricObject], { description: 'The latest value of each metric.' })
  metrics!: MetricObject[];

  @Field(() => [KeyValueObject])
  tags!: KeyValueObject[];

  @Field(() => String, { nullable: true })
  artifactUri!: string | null;
}

@ObjectType('Dataset', { description: 'A dataset version: a name and a digest.' })
export class DatasetObject {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field()
  digest!: string;

  @Field(() => String, { nullable: true })
  source!: string | null;

  @Field(() => String, { nullable: true })
  sourceType!: string | null;

  @Field()
  createdAt!: Date;
}

@ObjectType('DatasetUse')
export class DatasetUseObject {
  @Field(() => DatasetObject)
  dataset!: DatasetObject;

  @Field({ description: 'training, evaluation, ...' })
  context!: string;
}

@ObjectType('Lineage', { description: 'Where a version came from.' })
export class LineageObject {
  versionId!: string;
  mlflowRunId!: string | null;
  parentVersionId!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'fine-tuned, converted, quantised, retrained.',
  })
  parentRelation!: string | null;

  @Field(() => String, { nullable: true, description: "e.g. the training code's git commit." })
  codeRevision!: string | null;
}
