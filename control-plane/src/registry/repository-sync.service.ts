import { copyFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type DataSource, type EntityManager } from 'typeorm';
import {
  loadModelRepository,
  type ModelDefinition,
  type ModelRepositorySnapshot,
  type ModelVersionFiles,
} from '@model-repository';
import { type ControlPlaneConfig } from '../config/control-plane-config';
import { InjectControlPlaneConfig } from '../config/control-plane-config.module';
import { ARTIFACT_STORE, type ArtifactStore } from './artifacts/artifact-store';
import { StagingArea } from './artifacts/staging-area';
import { ModelVersionEntity } from './entities/model-version.entity';
import { ModelEntity } from './entities/model.entity';
import { signatureOf } from './version-signature';

export interface RepositorySyncSummary {
  modelsCreated: number;
  versionsCreated: number;
  versionsUpdated: number;
  versionsDrifted: number;
  loadErrors: number;
}

/**
 * Registers what the Triton model repository holds (the first of the three ways in). Idempotent,
 * and it never rewrites history: a version folder whose file changed in place is marked as drifted
 * (the registered bytes stay in the artifact store), not updated.
 */
@Injectable()
export class RepositorySyncService implements OnApplicationBootstrap {
  private readonly logger = new Logger(RepositorySyncService.name);

  constructor(
    @InjectControlPlaneConfig() private readonly config: ControlPlaneConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(ARTIFACT_STORE) private readonly artifacts: ArtifactStore,
    private readonly staging: StagingArea,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // The staging folder was emptied when it was provided (registry-storage.ts), not here.
    await this.syncFromRepository();
  }

  async syncFromRepository(): Promise<RepositorySyncSummary> {
    const summary: RepositorySyncSummary = {
      modelsCreated: 0,
      versionsCreated: 0,
      versionsUpdated: 0,
      versionsDrifted: 0,
      loadErrors: 0,
    };
    const root = this.config.modelRepository;
    let snapshot: ModelRepositorySnapshot;
    try {
      snapshot = await loadModelRepository(root);
    } catch (error) {
      // A missing or unreadable repository must not keep the registry API down.
      this.logger.error(`Cannot read model repository ${root}: ${describe(error)}`);
      summary.loadErrors += 1;
      return summary;
    }
    for (const loadError of snapshot.errors) {
      this.logger.error(`Model repository ${root}: ${loadError.model}: ${loadError.message}`);
      summary.loadErrors += 1;
    }
    for (const definition of snapshot.models) {
      if (definition.unsupportedReason !== undefined) {
        this.logger.warn(
          `Model ${definition.name} is registered but not servable here: ${definition.unsupportedReason}`,
        );
      }
      try {
        await this.storeArtifacts(definition);
        await this.dataSource.transaction((manager) =>
          this.syncModel(manager, snapshot.root, definition, summary),
        );
      } catch (error) {
        this.logger.error(`Cannot register model ${definition.name}: ${describe(error)}`);
        summary.loadErrors += 1;
      }
    }
    this.logger.log(
      `Model repository ${root}: ${snapshot.models.length} model(s); created ${summary.modelsCreated} ` +
        `model(s) and ${summary.versionsCreated} version(s), updated ${summary.versionsUpdated} ` +
        `version(s), ${summary.versionsDrifted} drifted; ${summary.loadErrors} error(s)`,
    );
    return summary;
  }

  /** Keeps each single-file artifact's bytes, so a version still has them after the folder changes. */
  private async storeArtifacts(definition: ModelDefinition): Promise<void> {
    for (const files of definition.versions) {
      if (files.modelFile === files.directory || (await this.artifacts.has(files.sha256))) continue;
      const staged = this.staging.newFile();
      await copyFile(files.modelFile, staged);
      await this.artifacts.put(staged, files.sha256);
    }
  }

  private async syncModel(
    manager: EntityManager,
    root: string,
    definition: ModelDefinition,
    summary: RepositorySyncSummary,
  ): Promise<void> {
    const models = manager.getRepository(ModelEntity);
    let model = await models.findOneBy({ name: definition.name });
    if (model === null) {
      model = await models.save(models.create({ name: definition.name }));
      summary.modelsCreated += 1;
    }

    const versions = manager.getRepository(ModelVersionEntity);
    const registered = await versions.findBy({ modelId: model.id });
    const existing = new Map(registered.map((row) => [row.version, row]));
    for (const files of definition.versions) {
      const row = existing.get(files.version);
      existing.delete(files.version);
      const served = definition.servedVersions.includes(files.version);
      if (row === undefined) {
        await versions.insert({
          modelId: model.id,
          version: files.version,
          source: 'repository-scan',
          artifactPath: relativeArtifactPath(root, files),
          artifactFilename: path.basename(files.modelFile),
          artifactSha256: files.sha256,
          artifactSizeBytes: files.sizeBytes,
          configText: definition.configText,
          ...signatureOf(definition),
          served,
          status: 'ready',
        });
        summary.versionsCreated += 1;
        continue;
      }
      const drifted = files.sha256 === row.artifactSha256 ? null : files.sha256;
      if (drifted !== row.driftedSha256) {
        if (drifted !== null) {
          this.logger.warn(
            `Model ${definition.name} version ${files.version}: artifact changed in place ` +
              `(registered sha256 ${row.artifactSha256}, repository now ${drifted}); the version ` +
              `keeps its registered bytes and is marked as drifted`,
          );
          summary.versionsDrifted += 1;
        }
        await versions.update({ id: row.id }, { driftedSha256: drifted });
      }
      if (row.served !== served) {
        await versions.update({ id: row.id }, { served });
        summary.versionsUpdated += 1;
      }
    }

    // Versions that left the repository stay registered (they are history) but are no longer served.
    for (const gone of existing.values()) {
      if (!gone.served || gone.source !== 'repository-scan') continue;
      this.logger.warn(
        `Model ${definition.name} version ${gone.version} is no longer in the repository`,
      );
      await versions.update({ id: gone.id }, { served: false });
      summary.versionsUpdated += 1;
    }
  }
}

function relativeArtifactPath(root: string, files: ModelVersionFiles): string {
  return path.relative(root, path.resolve(root, files.directory, files.modelFile));
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
