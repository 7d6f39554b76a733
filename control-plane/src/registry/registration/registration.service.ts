import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type DataSource, type EntityManager } from 'typeorm';
import { type Actor } from '../../audit/actor';
import { AuditService } from '../../audit/audit.service';
import { ControlPlaneFailure } from '../../errors/control-plane-error';
import { LineageService, type DatasetReference } from '../../lineage/lineage.service';
import { ARTIFACT_STORE, type ArtifactStore } from '../artifacts/artifact-store';
import { verifyArtifact, type VerifiedArtifact } from '../artifacts/artifact-verification';
import { ModelVersionEntity } from '../entities/model-version.entity';
import { lockOrCreateModel } from '../model-lock';
import { nextVersionName } from '../model-version-order';
import { signatureOf } from '../version-signature';
import { ArtifactIntake, type StagedArtifact } from './artifact-intake';
import { checkRegisterCommand } from './register-command-checks';
import { type RegisterModelVersionCommand } from './register-command';
import { VersionValidation } from './version-validation';

/**
 * The registration of a new version (from an upload or an MLflow run). Every check of the bytes
 * runs before anything is written; then the artifact enters the store, and the version row, its
 * lineage and the audit record commit in one transaction; then the version is validated (warm-up).
 * A process killed anywhere leaves either no row, or a row whose artifact is stored.
 */
@Injectable()
export class RegistrationService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(ARTIFACT_STORE) private readonly artifacts: ArtifactStore,
    private readonly intake: ArtifactIntake,
    private readonly lineage: LineageService,
    private readonly audit: AuditService,
    private readonly validation: VersionValidation,
  ) {}

  async register(actor: Actor, command: RegisterModelVersionCommand): Promise<ModelVersionEntity> {
    checkRegisterCommand(command);
    const latest = await this.latestVersionOf(command.model);
    const parent = await this.parentOf(command);
    const staged = await this.intake.stage(command.source);
    let verified: VerifiedArtifact;
    try {
      verified = await verifyArtifact(staged.file, {
        modelName: command.model,
        ...(command.expectedSha256 !== undefined ? { expectedSha256: command.expectedSha256 } : {}),
        ...configClaims(command, latest),
      });
    } catch (error) {
      await staged.discard();
      throw error;
    }
    await this.artifacts.put(staged.file, verified.sha256);
    await staged.accepted();

    const version = await this.dataSource.transaction((manager) =>
      this.insertVersion(manager, actor, command, staged, verified, parent),
    );
    return this.validation.validate(version.id, actor);
  }

  private async insertVersion(
    manager: EntityManager,
    actor: Actor,
    command: RegisterModelVersionCommand,
    staged: StagedArtifact,
    verified: VerifiedArtifact,
    parent: ModelVersionEntity | null,
  ): Promise<ModelVersionEntity> {
    const model = await lockOrCreateModel(manager, command.model, command.task);
    const versions = manager.getRepository(ModelVersionEntity);
    const existing = await versions.find({
      where: { modelId: model.id },
      select: { version: true },
    });
    const run = staged.run;
    if (run !== undefined) await this.lineage.recordRun(manager, run.trackingUri, run.run);
    const inserted = await versions.save(
      versions.create({
        modelId: model.id,
        version: nextVersionName(existing.map((row) => row.version)),
        source: staged.source,
        artifactPath: null,
        artifactFilename: 'model.onnx',
        artifactSha256: verified.sha256,
        artifactSizeBytes: verified.sizeBytes,
        configText: verified.configText,
        ...signatureOf({ ...verified.config, labels: verified.labels }),
        served: false,
        status: 'registered',
        description: command.description ?? null,
        modelCard: command.modelCard ?? null,
        tags: command.tags ?? {},
        parentVersionId: parent?.id ?? null,
        parentRelation: command.parent?.relation ?? null,
        codeRevision: command.codeRevision ?? null,
        mlflowRunId: run?.run.runId ?? null,
        registeredBy: actor.subject,
      }),
    );
    await this.lineage.recordDatasets(manager, inserted.id, datasetsOf(command, staged));
    await this.audit.record(manager, actor, {
      action: 'model-version.register',
      subjectType: 'model-version',
      subjectId: inserted.id,
      after: {
        model: model.name,
        version: inserted.version,
        source: inserted.source,
        artifactSha256: inserted.artifactSha256,
        artifactUri: this.artifacts.uriOf(inserted.artifactSha256),
        mlflowRunId: inserted.mlflowRunId,
        parentVersionId: inserted.parentVersionId,
      },
    });
    return inserted;
  }

  private async latestVersionOf(modelName: string): Promise<ModelVersionEntity | null> {
    const versions = await this.dataSource
      .getRepository(ModelVersionEntity)
      .find({ where: { model: { name: modelName } }, order: { createdAt: 'DESC' }, take: 1 });
    return versions[0] ?? null;
  }

  private async parentOf(command: RegisterModelVersionCommand): Promise<ModelVersionEntity | null> {
    if (command.parent === undefined) return null;
    const parent = await this.dataSource.getRepository(ModelVersionEntity).findOne({
      where: { model: { name: command.model }, version: command.parent.version },
    });
    if (parent === null) {
      throw new ControlPlaneFailure(
        'NOT_FOUND',
        `parent version ${command.parent.version} of model ${command.model} is not registered`,
        { argument: 'parent.version' },
      );
    }
    return parent;
  }
}

/** An explicit config wins; otherwise the latest version's config and labels carry over. */
function configClaims(
  command: RegisterModelVersionCommand,
  latest: ModelVersionEntity | null,
): { configText?: string; labels?: string[] } {
  const configText = command.config ?? latest?.configText;
  const labels = command.labels ?? (command.config === undefined ? latest?.labels : undefined);
  return {
    ...(configText !== undefined ? { configText } : {}),
    ...(labels !== undefined && labels !== null ? { labels } : {}),
  };
}

function datasetsOf(
  command: RegisterModelVersionCommand,
  staged: StagedArtifact,
): DatasetReference[] {
  const fromRun: DatasetReference[] = (staged.run?.run.datasets ?? []).map((dataset) => ({
    name: dataset.name,
    digest: dataset.digest,
    source: dataset.source,
    sourceType: dataset.sourceType,
    context: dataset.context ?? 'training',
  }));
  return command.dataset === undefined ? fromRun : [...fromRun, command.dataset];
}
