import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type DataSource, type EntityManager, In } from 'typeorm';
import { ModelVersionEntity } from '../registry/entities/model-version.entity';
import { DatasetEntity } from './entities/dataset.entity';
import { MlflowRunEntity } from './entities/mlflow-run.entity';
import { ModelVersionDatasetEntity } from './entities/model-version-dataset.entity';
import { type MlflowRun } from './mlflow/mlflow-types';

/** A dataset version as a registration names it, or as an MLflow run logged it. */
export interface DatasetReference {
  name: string;
  digest: string;
  source?: string | null;
  sourceType?: string | null;
  /** `training` unless said otherwise. */
  context?: string;
}

export interface DatasetUse {
  dataset: DatasetEntity;
  context: string;
}

/**
 * Where versions came from: MLflow runs (kept as they were when a version was registered from
 * them), dataset versions, and parent versions. Writes happen inside the registration's
 * transaction; reads answer both ways (a version's sources, a source's versions).
 */
@Injectable()
export class LineageService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Keeps the first snapshot of a run: a version's lineage is what the run was when it was registered. */
  async recordRun(manager: EntityManager, trackingUri: string, run: MlflowRun): Promise<void> {
    await manager
      .createQueryBuilder()
      .insert()
      .into(MlflowRunEntity)
      .values({
        runId: run.runId,
        trackingUri,
        experimentId: run.experimentId,
        experimentName: run.experimentName,
        status: run.status,
        startTime: run.startTime,
        endTime: run.endTime ?? null,
        params: run.params,
        metrics: run.metrics,
        tags: run.tags,
        artifactUri: run.artifactUri,
      })
      .orIgnore()
      .execute();
  }

  async recordDatasets(
    manager: EntityManager,
    versionId: string,
    datasets: readonly DatasetReference[],
  ): Promise<void> {
    for (const reference of datasets) {
      await manager
        .createQueryBuilder()
        .insert()
        .into(DatasetEntity)
        .values({
          name: reference.name,
          digest: reference.digest,
          source: reference.source ?? null,
          sourceType: reference.sourceType ?? null,
        })
        .orIgnore()
        .execute();
      const dataset = await manager
        .getRepository(DatasetEntity)
        .findOneByOrFail({ name: reference.name, digest: reference.digest });
      await manager
        .createQueryBuilder()
        .insert()
        .into(ModelVersionDatasetEntity)
        .values({ versionId, datasetId: dataset.id, context: reference.context ?? 'training' })
        .orIgnore()
        .execute();
    }
  }

  async runsByIds(runIds: readonly string[]): Promise<Map<string, MlflowRunEntity>> {
    if (runIds.length === 0) return new Map();
    const runs = await this.dataSource
      .getRepository(MlflowRunEntity)
      .findBy({ runId: In([...runIds]) });
    return new Map(runs.map((run) => [run.runId, run]));
  }

  async datasetsOfVersions(versionIds: readonly string[]): Promise<Map<string, DatasetUse[]>> {
    const uses = new Map<string, DatasetUse[]>(versionIds.map((id) => [id, []]));
    if (versionIds.length === 0) return uses;
    const rows = await this.dataSource.getRepository(ModelVersionDatasetEntity).find({
      where: { versionId: In([...versionIds]) },
      relations: { dataset: true },
      order: { context: 'ASC' },
    });
    for (const row of rows) {
      if (row.dataset)
        uses.get(row.versionId)?.push({ dataset: row.dataset, context: row.context });
    }
    return uses;
  }

  /** Dataset versions by name (every digest), or all of them; newest first. */
  async datasets(name?: string): Promise<DatasetEntity[]> {
    return this.dataSource.getRepository(DatasetEntity).find({
      where: name === undefined ? {} : { name },
      order: { createdAt: 'DESC' },
      take: 100,
    });
  }

  /** Which versions came from this dataset version. */
  async versionsFromDataset(datasetId: string): Promise<ModelVersionEntity[]> {
    return this.dataSource
      .getRepository(ModelVersionEntity)
      .createQueryBuilder('version')
      .innerJoin(ModelVersionDatasetEntity, 'use', 'use.version_id = version.id')
      .where('use.dataset_id = :datasetId', { datasetId })
      .orderBy('version.created_at', 'ASC')
      .getMany();
  }

  /** Which versions were registered from this MLflow run. */
  async versionsFromRun(runId: string): Promise<ModelVersionEntity[]> {
    return this.dataSource
      .getRepository(ModelVersionEntity)
      .find({ where: { mlflowRunId: runId }, order: { createdAt: 'ASC' } });
  }

  /** Versions made from these versions (fine-tuned, converted, ...). */
  async childrenOf(versionIds: readonly string[]): Promise<Map<string, ModelVersionEntity[]>> {
    const children = new Map<string, ModelVersionEntity[]>(versionIds.map((id) => [id, []]));
    if (versionIds.length === 0) return children;
    const rows = await this.dataSource
      .getRepository(ModelVersionEntity)
      .find({ where: { parentVersionId: In([...versionIds]) }, order: { createdAt: 'ASC' } });
    for (const row of rows) {
      if (row.parentVersionId !== null) children.get(row.parentVersionId)?.push(row);
    }
    return children;
  }
}
