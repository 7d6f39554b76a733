import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type DataSource, type EntityManager } from 'typeorm';
import {
  loadModelRepository,
  type ModelDefinition,
  type ModelRepositorySnapshot,
  type ModelVersionFiles,
  type TensorSpec,
} from '@model-repository';
import { type ControlPlaneConfig } from '../config/control-plane-config';
import { InjectControlPlaneConfig } from '../config/control-plane-config.module';
import { ModelVersionEntity } from './entities/model-version.entity';
import { ModelEntity, type StoredTensorSpec } from './entities/model.entity';

export interface RepositorySyncSummary {
  modelsCreated: number;
  modelsUpdated: number;
  versionsCreated: number;
  versionsUpdated: number;
  loadErrors: number;
}

type ModelFields = Pick<
  ModelEntity,
  'platform' | 'backend' | 'maxBatchSize' | 'inputs' | 'outputs' | 'labels'
>;
type VersionFields = Pick<
  ModelVersionEntity,
  'artifactPath' | 'artifactSha256' | 'artifactSizeBytes' | 'configText' | 'served'
>;

/**
 * Registers what the Triton model repository holds. Idempotent: rows are written only when
 * something differs, so restarting on an unchanged repository writes nothing.
 */
@Injectable()
export class RepositorySyncService implements OnApplicationBootstrap {
  private readonly logger = new Logger(RepositorySyncService.name);

  constructor(
    @InjectControlPlaneConfig() private readonly config: ControlPlaneConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.syncFromRepository();
  }

  async syncFromRepository(): Promise<RepositorySyncSummary> {
    const summary: RepositorySyncSummary = {
      modelsCreated: 0,
      modelsUpdated: 0,
      versionsCreated: 0,
      versionsUpdated: 0,
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
        `model(s) and ${summary.versionsCreated} version(s), updated ${summary.modelsUpdated} ` +
        `model(s) and ${summary.versionsUpdated} version(s); ${summary.loadErrors} error(s)`,
    );
    return summary;
  }

  private async syncModel(
    manager: EntityManager,
    root: string,
    definition: ModelDefinition,
    summary: RepositorySyncSummary,
  ): Promise<void> {
    const models = manager.getRepository(ModelEntity);
    const fields = modelFields(definition);
    // Versions are loaded separately: saving a model with its versions array attached would let
    // TypeORM rewrite the relation.
    let model = await models.findOneBy({ name: definition.name });
    if (model === null) {
      model = await models.save(models.create({ name: definition.name, ...fields }));
      summary.modelsCreated += 1;
    } else if (!matches(model, fields)) {
      Object.assign(model, fields);
      await models.save(model);
      summary.modelsUpdated += 1;
    }

    const versions = manager.getRepository(ModelVersionEntity);
    const registered = await versions.findBy({ modelId: model.id });
    const existing = new Map(registered.map((row) => [row.version, row]));
    for (const files of definition.versions) {
      const wanted = versionFields(root, definition, files);
      const row = existing.get(files.version);
      existing.delete(files.version);
      if (row === undefined) {
        await versions.save(
          versions.create({
            modelId: model.id,
            version: files.version,
            source: 'repository-scan',
            ...wanted,
          }),
        );
        summary.versionsCreated += 1;
        continue;
      }
      if (matches(row, wanted)) continue;
      if (row.artifactSha256 !== wanted.artifactSha256) {
        this.logger.warn(
          `Model ${definition.name} version ${files.version}: artifact changed in place ` +
            `(sha256 ${row.artifactSha256} -> ${wanted.artifactSha256}); updating the registry`,
        );
      }
      Object.assign(row, wanted);
      await versions.save(row);
      summary.versionsUpdated += 1;
    }

    // Versions that left the repository stay registered (they are history) but are no longer served.
    for (const gone of existing.values()) {
      if (!gone.served) continue;
      this.logger.warn(
        `Model ${definition.name} version ${gone.version} is no longer in the repository`,
      );
      gone.served = false;
      await versions.save(gone);
      summary.versionsUpdated += 1;
    }
  }
}

function modelFields(definition: ModelDefinition): ModelFields {
  return {
    platform: definition.platform,
    backend: definition.backend,
    maxBatchSize: definition.maxBatchSize,
    inputs: definition.inputs.map(storedTensorSpec),
    outputs: definition.outputs.map(storedTensorSpec),
    labels: definition.labels ?? null,
  };
}

function storedTensorSpec({ name, datatype, dims }: TensorSpec): StoredTensorSpec {
  return { name, datatype, dims: [...dims] };
}

function versionFields(
  root: string,
  definition: ModelDefinition,
  files: ModelVersionFiles,
): VersionFields {
  return {
    artifactPath: path.relative(root, path.resolve(root, files.directory, files.modelFile)),
    artifactSha256: files.sha256,
    artifactSizeBytes: files.sizeBytes,
    configText: definition.configText,
    served: definition.servedVersions.includes(files.version),
  };
}

/** True when every field of `wanted` equals the row's (jsonb may reorder keys, so compare deeply). */
function matches<T extends object>(row: T, wanted: Partial<T>): boolean {
  return (Object.keys(wanted) as (keyof T)[]).every((key) =>
    isDeepStrictEqual(row[key], wanted[key]),
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
