import { Field, Float, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { connectionType } from '../../graphql/relay-connection';
import { MODEL_VERSION_STATUSES, type ModelVersionStatus } from '../entities/model-version.entity';
import { TensorSpecObject } from './tensor-spec.object';

export enum ModelVersionStatusValue {
  registered = 'registered',
  validating = 'validating',
  ready = 'ready',
  failed = 'failed',
  archived = 'archived',
}
registerEnumType(ModelVersionStatusValue, {
  name: 'ModelVersionStatus',
  description: `Lifecycle: ${MODEL_VERSION_STATUSES.join(', ')}. registered → validating → ready | failed; archived by hand.`,
});

@ObjectType('Tag')
export class TagObject {
  @Field()
  key!: string;

  @Field()
  value!: string;
}

@ObjectType('ModelVersion', {
  description: 'One write-once version of a model: its artifact, signature and config snapshot.',
})
export class ModelVersionObject {
  @Field(() => ID)
  id!: string;

  /** For field resolvers; not in the schema. */
  modelId!: string;
  parentVersionId!: string | null;
  mlflowRunId!: string | null;
  parentRelationValue!: string | null;
  codeRevisionValue!: string | null;

  @Field({ description: 'Triton version folder name, e.g. "1".' })
  version!: string;

  @Field(() => ModelVersionStatusValue)
  status!: ModelVersionStatus;

  @Field(() => String, { nullable: true, description: 'Why it failed, when it did.' })
  statusReason!: string | null;

  @Field()
  statusChangedAt!: Date;

  @Field({ description: 'repository-scan, mlflow or upload.' })
  source!: string;

  @Field({ description: 'Hex SHA-256 of the model file.' })
  artifactSha256!: string;

  // Float, because GraphQL Int is 32-bit and model files can exceed 2 GiB.
  @Field(() => Float, { description: 'Size of the model file in bytes.' })
  artifactSizeBytes!: number;

  @Field({ description: 'Where the artifact store keeps the bytes.' })
  artifactUri!: string;

  @Field({ description: 'File name inside the version folder, e.g. model.onnx.' })
  artifactFilename!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Set when the repository file changed in place: the sha256 it holds now.',
  })
  driftedSha256!: string | null;

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

  @Field({ description: 'config.pbtxt this version was registered with.' })
  config!: string;

  @Field({ description: "Whether the repository's version policy serves this version." })
  served!: boolean;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => String, { nullable: true, description: 'Model card, markdown.' })
  modelCard!: string | null;

  @Field(() => [TagObject])
  tags!: TagObject[];

  @Field(() => String, {
    nullable: true,
    description: 'Who registered it; null for versions found by the repository scan.',
  })
  registeredBy!: string | null;

  @Field()
  createdAt!: Date;
}

export const ModelVersionConnection = connectionType(ModelVersionObject, 'ModelVersion');
