import { Field, InputType, ObjectType, registerEnumType } from '@nestjs/graphql';
import { ModelVersionObject } from './model-version.object';
import { ModelAliasObject } from './model.object';

export enum ParentRelationValue {
  fine_tuned = 'fine-tuned',
  converted = 'converted',
  quantised = 'quantised',
  retrained = 'retrained',
}
registerEnumType(ParentRelationValue, { name: 'ParentRelation' });

@InputType('ArtifactSourceInput', { description: 'Exactly one of uploadId and mlflow.' })
export class ArtifactSourceInput {
  @Field(() => String, { nullable: true, description: 'The id POST /v1/uploads returned.' })
  uploadId?: string;

  @Field(() => String, {
    nullable: true,
    description: 'runs:/<run id>/<path>, models:/<name>/<version> or models:/<name>@<alias>.',
  })
  mlflow?: string;
}

@InputType('TagInput')
export class TagInput {
  @Field()
  key!: string;

  @Field()
  value!: string;
}

@InputType('ParentVersionInput')
export class ParentVersionInput {
  @Field({ description: 'A version of the same model.' })
  version!: string;

  @Field(() => ParentRelationValue)
  relation!: ParentRelationValue;
}

@InputType('DatasetInput', { description: 'A dataset version this version was trained on.' })
export class DatasetInput {
  @Field()
  name!: string;

  @Field()
  digest!: string;

  @Field(() => String, { nullable: true })
  source?: string;

  @Field(() => String, { nullable: true })
  sourceType?: string;

  @Field(() => String, { nullable: true, description: 'training (default), evaluation, ...' })
  context?: string;
}

@InputType('RegisterModelVersionInput')
export class RegisterModelVersionInput {
  @Field({ description: 'The model; registered on its first version.' })
  model!: string;

  @Field(() => String, { nullable: true, description: 'For a new model, e.g. object-detection.' })
  task?: string;

  @Field(() => ArtifactSourceInput)
  source!: ArtifactSourceInput;

  @Field(() => String, {
    nullable: true,
    description: 'Refused unless the artifact has this sha256.',
  })
  expectedSha256?: string;

  @Field(() => String, {
    nullable: true,
    description:
      "config.pbtxt. Default: the latest version's config, or one derived from the ONNX signature.",
  })
  config?: string;

  @Field(() => [String], { nullable: true })
  labels?: string[];

  @Field(() => String, { nullable: true })
  description?: string;

  @Field(() => String, { nullable: true, description: 'Markdown.' })
  modelCard?: string;

  @Field(() => [TagInput], { nullable: true })
  tags?: TagInput[];

  @Field(() => ParentVersionInput, { nullable: true })
  parent?: ParentVersionInput;

  @Field(() => DatasetInput, { nullable: true })
  dataset?: DatasetInput;

  @Field(() => String, { nullable: true })
  codeRevision?: string;
}

@InputType('SetModelAliasInput')
export class SetModelAliasInput {
  @Field()
  model!: string;

  @Field()
  alias!: string;

  @Field()
  version!: string;
}

@InputType('DeleteModelAliasInput')
export class DeleteModelAliasInput {
  @Field()
  model!: string;

  @Field()
  alias!: string;
}

@InputType('UpdateModelCardInput', { description: 'Only the fields given change.' })
export class UpdateModelCardInput {
  @Field()
  model!: string;

  @Field()
  version!: string;

  @Field(() => String, { nullable: true })
  modelCard?: string;

  @Field(() => String, { nullable: true })
  description?: string;

  @Field(() => [TagInput], { nullable: true, description: 'Replaces every tag.' })
  tags?: TagInput[];
}

@InputType('ModelVersionRefInput')
export class ModelVersionRefInput {
  @Field()
  model!: string;

  @Field()
  version!: string;
}

@ObjectType('ModelVersionPayload')
export class ModelVersionPayload {
  @Field(() => ModelVersionObject)
  modelVersion!: ModelVersionObject;
}

@ObjectType('SetModelAliasPayload')
export class SetModelAliasPayload {
  @Field(() => ModelAliasObject)
  alias!: ModelAliasObject;

  @Field(() => String, { nullable: true, description: 'The version id it pointed at before.' })
  previousVersionId!: string | null;
}

@ObjectType('DeleteModelAliasPayload')
export class DeleteModelAliasPayload {
  @Field({ description: 'False when there was no such alias.' })
  deleted!: boolean;
}
