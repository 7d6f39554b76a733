import { Inject } from '@nestjs/common';
import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { type Actor } from '../../audit/actor';
import { CurrentActor, RequireRole } from '../../auth';
import { ControlPlaneFailure } from '../../errors/control-plane-error';
import { ARTIFACT_STORE, type ArtifactStore } from '../artifacts/artifact-store';
import { ModelAliasesService } from '../model-aliases.service';
import { type RegisterModelVersionCommand } from '../registration/register-command';
import { RegistrationService } from '../registration/registration.service';
import { VersionCurationService } from '../version-curation.service';
import { toModelAliasObject, toModelVersionObject } from './model.mapper';
import {
  DeleteModelAliasInput,
  DeleteModelAliasPayload,
  ModelVersionPayload,
  ModelVersionRefInput,
  RegisterModelVersionInput,
  SetModelAliasInput,
  SetModelAliasPayload,
  type TagInput,
  UpdateModelCardInput,
} from './registry-mutations.types';

/** Registry commands: thin, each one service call with the caller as the audited actor. */
@Resolver()
export class RegistryMutationsResolver {
  constructor(
    private readonly registration: RegistrationService,
    private readonly aliases: ModelAliasesService,
    private readonly curation: VersionCurationService,
    @Inject(ARTIFACT_STORE) private readonly artifacts: ArtifactStore,
  ) {}

  @Mutation(() => ModelVersionPayload, {
    description:
      'Registers a new version from an upload or an MLflow run; it is validated before it is ready.',
  })
  @RequireRole('operator')
  async registerModelVersion(
    @Args('input') input: RegisterModelVersionInput,
    @CurrentActor() actor: Actor,
  ): Promise<ModelVersionPayload> {
    const version = await this.registration.register(actor, toCommand(input));
    return { modelVersion: toModelVersionObject(version, this.artifacts) };
  }

  @Mutation(() => SetModelAliasPayload, {
    description: 'Points an alias at a version (one audited write).',
  })
  @RequireRole('operator')
  async setModelAlias(
    @Args('input') input: SetModelAliasInput,
    @CurrentActor() actor: Actor,
  ): Promise<SetModelAliasPayload> {
    const moved = await this.aliases.setAlias(actor, input);
    return { alias: toModelAliasObject(moved.alias), previousVersionId: moved.previousVersionId };
  }

  @Mutation(() => DeleteModelAliasPayload)
  @RequireRole('operator')
  async deleteModelAlias(
    @Args('input') input: DeleteModelAliasInput,
    @CurrentActor() actor: Actor,
  ): Promise<DeleteModelAliasPayload> {
    return { deleted: await this.aliases.deleteAlias(actor, input) };
  }

  @Mutation(() => ModelVersionPayload, {
    description: "Changes a version's card, description or tags.",
  })
  @RequireRole('operator')
  async updateModelCard(
    @Args('input') input: UpdateModelCardInput,
    @CurrentActor() actor: Actor,
  ): Promise<ModelVersionPayload> {
    const version = await this.curation.updateModelCard(actor, {
      model: input.model,
      version: input.version,
      ...(input.modelCard != null ? { modelCard: input.modelCard } : {}),
      ...(input.description != null ? { description: input.description } : {}),
      ...(input.tags != null ? { tags: tagRecord(input.tags) } : {}),
    });
    return { modelVersion: toModelVersionObject(version, this.artifacts) };
  }

  @Mutation(() => ModelVersionPayload, { description: 'Retires a version no alias points at.' })
  @RequireRole('operator')
  async archiveModelVersion(
    @Args('input') input: ModelVersionRefInput,
    @CurrentActor() actor: Actor,
  ): Promise<ModelVersionPayload> {
    const version = await this.curation.archive(actor, input);
    return { modelVersion: toModelVersionObject(version, this.artifacts) };
  }
}

function toCommand(input: RegisterModelVersionInput): RegisterModelVersionCommand {
  const { uploadId, mlflow } = input.source;
  if ((uploadId == null) === (mlflow == null)) {
    throw new ControlPlaneFailure(
      'BAD_USER_INPUT',
      'give exactly one of source.uploadId and source.mlflow',
      {
        argument: 'input.source',
      },
    );
  }
  const optional = <K extends string, V>(key: K, value: V | null | undefined) =>
    value == null ? {} : ({ [key]: value } as Record<K, V>);
  return {
    model: input.model,
    source: uploadId != null ? { uploadId } : { mlflow: mlflow as string },
    ...optional('task', input.task),
    ...optional('expectedSha256', input.expectedSha256),
    ...optional('config', input.config),
    ...optional('labels', input.labels),
    ...optional('description', input.description),
    ...optional('modelCard', input.modelCard),
    ...optional('tags', input.tags == null ? null : tagRecord(input.tags)),
    ...optional('parent', input.parent),
    ...optional('dataset', input.dataset),
    ...optional('codeRevision', input.codeRevision),
  };
}

function tagRecord(tags: readonly TagInput[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (const { key, value } of tags) {
    if (Object.prototype.hasOwnProperty.call(record, key)) {
      throw new ControlPlaneFailure(
        'BAD_USER_INPUT',
        `tag ${JSON.stringify(key.slice(0, 64))} is given twice`,
        {
          argument: 'tags',
        },
      );
    }
    record[key] = value;
  }
  return record;
}
