import { rm } from 'node:fs/promises';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type DataSource, In } from 'typeorm';
import { type Actor, SYSTEM_ACTOR } from '../../audit/actor';
import { AuditService } from '../../audit/audit.service';
import { ARTIFACT_STORE, type ArtifactStore } from '../artifacts/artifact-store';
import { inspectOnnx } from '../artifacts/onnx-inspection';
import { StagingArea } from '../artifacts/staging-area';
import { type ModelVersionStatus, ModelVersionEntity } from '../entities/model-version.entity';

/**
 * `registered → validating → ready | failed`: a version is ready once its stored artifact answered
 * a warm-up inference in ONNX Runtime. Versions a killed process left before `ready` or `failed`
 * are validated again at start-up.
 */
@Injectable()
export class VersionValidation implements OnApplicationBootstrap {
  private readonly logger = new Logger(VersionValidation.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(ARTIFACT_STORE) private readonly artifacts: ArtifactStore,
    private readonly staging: StagingArea,
    private readonly audit: AuditService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const unfinished = await this.dataSource
      .getRepository(ModelVersionEntity)
      .findBy({ status: In(['registered', 'validating']) });
    for (const version of unfinished) {
      this.logger.warn(`Version ${version.id} was left ${version.status}; validating it again`);
      await this.validate(version.id, SYSTEM_ACTOR);
    }
  }

  async validate(versionId: string, actor: Actor): Promise<ModelVersionEntity> {
    await this.transition(versionId, actor, 'validating', null);
    const version = await this.dataSource
      .getRepository(ModelVersionEntity)
      .findOneByOrFail({ id: versionId });
    const reason = await this.warmUp(version);
    return this.transition(versionId, actor, reason === null ? 'ready' : 'failed', reason);
  }

  /** null when the artifact loads and computes; otherwise why not. */
  private async warmUp(version: ModelVersionEntity): Promise<string | null> {
    const file = this.staging.newFile('.onnx');
    try {
      await this.artifacts.copyTo(version.artifactSha256, file);
      const inspection = await inspectOnnx(file);
      try {
        await inspection.warmUp();
      } finally {
        await inspection.release();
      }
      return null;
    } catch (error) {
      return `warm-up failed: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      await rm(file, { force: true });
    }
  }

  private async transition(
    versionId: string,
    actor: Actor,
    status: ModelVersionStatus,
    reason: string | null,
  ): Promise<ModelVersionEntity> {
    return this.dataSource.transaction(async (manager) => {
      const versions = manager.getRepository(ModelVersionEntity);
      const before = await versions.findOneOrFail({
        where: { id: versionId },
        lock: { mode: 'pessimistic_write' },
      });
      await versions.update(
        { id: versionId },
        { status, statusReason: reason, statusChangedAt: new Date() },
      );
      await this.audit.record(manager, actor, {
        action: `model-version.${status}`,
        subjectType: 'model-version',
        subjectId: versionId,
        before: { status: before.status },
        after: { status, reason },
      });
      return versions.findOneByOrFail({ id: versionId });
    });
  }
}
