import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type DataSource, type EntityManager } from 'typeorm';
import { type Actor } from '../audit/actor';
import { AuditService } from '../audit/audit.service';
import { ControlPlaneFailure } from '../errors/control-plane-error';
import { ModelAliasEntity } from './entities/model-alias.entity';
import { ModelVersionEntity } from './entities/model-version.entity';
import { lockModel } from './model-lock';
import {
  checkLength,
  checkModelName,
  checkTags,
  checkVersionName,
  LIMITS,
} from './registration/register-command-checks';

export interface ModelCardUpdate {
  model: string;
  version: string;
  modelCard?: string;
  description?: string;
  tags?: Record<string, string>;
}

/** What may change on a write-once version: its card, description, tags, and archiving it. */
@Injectable()
export class VersionCurationService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  async updateModelCard(actor: Actor, input: ModelCardUpdate): Promise<ModelVersionEntity> {
    if (input.modelCard !== undefined)
      checkLength(input.modelCard, LIMITS.modelCardChars, 'modelCard');
    if (input.description !== undefined) {
      checkLength(input.description, LIMITS.descriptionChars, 'description');
    }
    if (input.tags !== undefined) checkTags(input.tags);
    return this.change(actor, input, 'model-version.update-card', () => ({
      ...(input.modelCard !== undefined ? { modelCard: input.modelCard } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.tags !== undefined ? { tags: input.tags } : {}),
    }));
  }

  async archive(
    actor: Actor,
    input: { model: string; version: string },
  ): Promise<ModelVersionEntity> {
    return this.change(actor, input, 'model-version.archive', (version, aliases) => {
      if (aliases.length > 0) {
        throw new ControlPlaneFailure(
          'CONFLICT',
          `version ${input.version} of ${input.model} is still aliased as ${aliases.join(', ')}; move the alias first`,
          { aliases },
        );
      }
      return version.status === 'archived'
        ? {}
        : { status: 'archived' as const, statusReason: null, statusChangedAt: new Date() };
    });
  }

  private async change(
    actor: Actor,
    input: { model: string; version: string },
    action: string,
    changes: (
      version: ModelVersionEntity,
      aliases: string[],
    ) => Partial<
      Pick<
        ModelVersionEntity,
        'modelCard' | 'description' | 'tags' | 'status' | 'statusReason' | 'statusChangedAt'
      >
    >,
  ): Promise<ModelVersionEntity> {
    checkModelName(input.model, 'model');
    checkVersionName(input.version, 'version');
    return this.dataSource.transaction(async (manager: EntityManager) => {
      const model = await lockModel(manager, input.model);
      const versions = manager.getRepository(ModelVersionEntity);
      const version = await versions.findOneBy({ modelId: model.id, version: input.version });
      if (version === null) {
        throw new ControlPlaneFailure(
          'NOT_FOUND',
          `model ${input.model} has no version ${input.version}`,
          {
            argument: 'version',
          },
        );
      }
      const aliases = await manager
        .getRepository(ModelAliasEntity)
        .findBy({ versionId: version.id });
      const update = changes(
        version,
        aliases.map((alias) => alias.alias),
      );
      if (Object.keys(update).length === 0) return version;
      const before = Object.fromEntries(
        Object.keys(update).map((key) => [key, version[key as keyof typeof update]]),
      );
      await versions.update({ id: version.id }, update);
      await this.audit.record(manager, actor, {
        action,
        subjectType: 'model-version',
        subjectId: version.id,
        before,
        after: update,
      });
      return versions.findOneByOrFail({ id: version.id });
    });
  }
}
