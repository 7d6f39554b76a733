import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type DataSource } from 'typeorm';
import { type Actor } from '../audit/actor';
import { AuditService } from '../audit/audit.service';
import { ControlPlaneFailure, shown } from '../errors/control-plane-error';
import { ModelAliasEntity } from './entities/model-alias.entity';
import { ModelVersionEntity } from './entities/model-version.entity';
import { lockModel } from './model-lock';
import { checkModelName, checkVersionName } from './registration/register-command-checks';

/** MLflow's alias rules: word characters and dashes; `latest` and `v<number>` mean something already. */
const ALIAS_PATTERN = /^[A-Za-z0-9_-]{1,255}$/;
const RESERVED_ALIAS = /^(latest|v\d+)$/i;

export interface AliasMove {
  alias: ModelAliasEntity;
  /** The version it pointed at before, if any. */
  previousVersionId: string | null;
}

/** Aliases (`production`, `candidate`, ...): moving one is one audited write. */
@Injectable()
export class ModelAliasesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  async setAlias(
    actor: Actor,
    input: { model: string; alias: string; version: string },
  ): Promise<AliasMove> {
    checkModelName(input.model, 'model');
    checkAliasName(input.alias);
    checkVersionName(input.version, 'version');
    return this.dataSource.transaction(async (manager) => {
      const model = await lockModel(manager, input.model);
      const version = await manager
        .getRepository(ModelVersionEntity)
        .findOneBy({ modelId: model.id, version: input.version });
      if (version === null) {
        throw new ControlPlaneFailure(
          'NOT_FOUND',
          `model ${input.model} has no version ${input.version}`,
          { argument: 'version' },
        );
      }
      if (version.status === 'failed' || version.status === 'archived') {
        throw new ControlPlaneFailure(
          'CONFLICT',
          `version ${input.version} of ${input.model} is ${version.status}; an alias cannot point at it`,
          { argument: 'version', status: version.status },
        );
      }
      const aliases = manager.getRepository(ModelAliasEntity);
      const before = await aliases.findOneBy({ modelId: model.id, alias: input.alias });
      await aliases.upsert(
        { modelId: model.id, alias: input.alias, versionId: version.id, updatedBy: actor.subject },
        ['modelId', 'alias'],
      );
      await this.audit.record(manager, actor, {
        action: 'model-alias.set',
        subjectType: 'model-alias',
        subjectId: `${model.name}@${input.alias}`,
        before: before === null ? null : { versionId: before.versionId },
        after: { versionId: version.id, version: version.version },
      });
      return {
        alias: await aliases.findOneByOrFail({ modelId: model.id, alias: input.alias }),
        previousVersionId: before?.versionId ?? null,
      };
    });
  }

  /** Whether an alias was there to delete. */
  async deleteAlias(actor: Actor, input: { model: string; alias: string }): Promise<boolean> {
    checkModelName(input.model, 'model');
    checkAliasName(input.alias);
    return this.dataSource.transaction(async (manager) => {
      const model = await lockModel(manager, input.model);
      const aliases = manager.getRepository(ModelAliasEntity);
      const before = await aliases.findOneBy({ modelId: model.id, alias: input.alias });
      if (before === null) return false;
      await aliases.delete({ modelId: model.id, alias: input.alias });
      await this.audit.record(manager, actor, {
        action: 'model-alias.delete',
        subjectType: 'model-alias',
        subjectId: `${model.name}@${input.alias}`,
        before: { versionId: before.versionId },
        after: null,
      });
      return true;
    });
  }
}

export function checkAliasName(alias: string): void {
  if (!ALIAS_PATTERN.test(alias) || RESERVED_ALIAS.test(alias)) {
    throw new ControlPlaneFailure(
      'BAD_USER_INPUT',
      `alias ${shown(alias, 32)} must be 1-255 letters, digits, "_" or "-", and not "latest" or "v<number>"`,
      { argument: 'alias' },
    );
  }
}
