/** MLflow's run answers and artifact URIs in our terms. */
import { type MlflowDataset, type MlflowRun } from './mlflow-types';
import { type RunAnswer } from './mlflow-wire';

const DATASET_CONTEXT_TAG = 'mlflow.data.context';

export function fromRunAnswer(answer: RunAnswer, experimentName: string): MlflowRun {
  const { info, data, inputs } = answer.run;
  const datasets = inputs.dataset_inputs.map(({ dataset, tags }): MlflowDataset => {
    const context = tags.find((tag) => tag.key === DATASET_CONTEXT_TAG)?.value;
    return {
      name: dataset.name,
      digest: dataset.digest,
      sourceType: dataset.source_type,
      source: dataset.source,
      ...(context !== undefined ? { context } : {}),
    };
  });
  return {
    runId: info.run_id,
    ...(info.run_name !== undefined ? { runName: info.run_name } : {}),
    experimentId: info.experiment_id,
    experimentName,
    status: info.status,
    startTime: new Date(info.start_time),
    ...(info.end_time !== undefined ? { endTime: new Date(info.end_time) } : {}),
    params: record(data.params.map(({ key, value }) => [key, value])),
    // runs/get carries each metric's latest value only (its history is metrics/get-history).
    metrics: record(data.metrics.map(({ key, value }) => [key, value])),
    tags: record(data.tags.map(({ key, value }) => [key, value])),
    datasets,
    artifactUri: info.artifact_uri,
  };
}

/**
 * The artifact proxy's path segments for a run's artifact root (`mlflow-artifacts:/1/<run>/artifacts`
 * → ['1', '<run>', 'artifacts']); undefined for roots the server does not proxy (s3:, file:, ...).
 */
export function artifactProxyRoot(artifactUri: string): string[] | undefined {
  let url: URL;
  try {
    url = new URL(artifactUri);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'mlflow-artifacts:') return undefined;
  let segments: string[];
  try {
    segments = url.pathname
      .split('/')
      .filter((s) => s !== '')
      .map(decodeURIComponent);
  } catch {
    return undefined;
  }
  return segments.some((s) => s === '.' || s === '..') ? undefined : segments;
}

/** `uri` relative to the run's artifact root, when it lies below it. */
export function relativeToRunArtifacts(artifactUri: string, uri: string): string | undefined {
  const root = artifactUri.replace(/\/+$/, '');
  return uri.startsWith(`${root}/`) ? uri.slice(root.length + 1) : undefined;
}

function record<Value>(entries: [string, Value][]): Record<string, Value> {
  // fromEntries defines own properties: a key such as `__proto__` stays a plain entry.
  return Object.fromEntries(entries);
}
