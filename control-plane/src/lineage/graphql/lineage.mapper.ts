import { type DatasetEntity } from '../entities/dataset.entity';
import { type MlflowRunEntity } from '../entities/mlflow-run.entity';
import { type DatasetObject, type MlflowRunObject } from './lineage.object';

export function toMlflowRunObject(run: MlflowRunEntity): MlflowRunObject {
  return {
    runId: run.runId,
    trackingUri: run.trackingUri,
    experimentId: run.experimentId,
    experimentName: run.experimentName,
    status: run.status,
    startTime: run.startTime,
    endTime: run.endTime,
    params: entries(run.params),
    metrics: Object.entries(run.metrics).map(([key, value]) => ({ key, value })),
    tags: entries(run.tags),
    artifactUri: run.artifactUri,
  };
}

export function toDatasetObject(dataset: DatasetEntity): DatasetObject {
  return {
    id: dataset.id,
    name: dataset.name,
    digest: dataset.digest,
    source: dataset.source,
    sourceType: dataset.sourceType,
    createdAt: dataset.createdAt,
  };
}

function entries(record: Record<string, string>): { key: string; value: string }[] {
  return Object.entries(record)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => ({ key, value }));
}
