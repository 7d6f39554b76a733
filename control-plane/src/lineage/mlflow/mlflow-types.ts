/** What the MLflow client hands back: MLflow's answers, checked and in our own shapes. */

export interface MlflowClientOptions {
  /** Base URL of the MLflow tracking server (http or https), e.g. `http://mlflow:5000`. */
  trackingUri: string;
  /**
   * Bound on every call: a whole JSON call, connect to last byte; for a download, the wait for its
   * headers and then for each next chunk (a large artifact may take longer as long as bytes flow).
   */
  timeoutMs: number;
  /** Sent as `Authorization: Bearer <token>` (MLflow's MLFLOW_TRACKING_TOKEN). */
  token?: string;
  /** Largest JSON answer read before parsing; default 8 MiB. */
  maxResponseBytes?: number;
}

export interface MlflowDataset {
  name: string;
  digest: string;
  /** MLflow's kind of source: `http`, `s3`, `local`, `code`, ... */
  sourceType: string;
  /** The source as MLflow stores it: a JSON document, e.g. `{"url": "https://..."}`. */
  source: string;
  /** How the run used it (`training`, `evaluation`, ...), from the `mlflow.data.context` tag. */
  context?: string;
}

export interface MlflowRun {
  runId: string;
  runName?: string;
  experimentId: string;
  experimentName: string;
  /** RUNNING, SCHEDULED, FINISHED, FAILED or KILLED. */
  status: string;
  startTime: Date;
  endTime?: Date;
  params: Record<string, string>;
  /** The latest value of each metric. */
  metrics: Record<string, number>;
  tags: Record<string, string>;
  datasets: MlflowDataset[];
  /** Where the run's artifacts live, as MLflow names it (`mlflow-artifacts:/1/<run id>/artifacts`). */
  artifactUri: string;
}

export interface MlflowArtifact {
  /** Relative to the run's artifact root, e.g. `model/model.onnx`. */
  path: string;
  isDir: boolean;
  /** Bytes; files only. */
  fileSize?: number;
}

/** A registered model version as far as lineage needs it. */
export interface MlflowModelVersion {
  name: string;
  version: string;
  /** Where MLflow says the version's files are (`runs:/<run id>/model`, `models:/m-...`, a URI). */
  source: string;
  runId?: string;
  /** READY, PENDING_REGISTRATION or FAILED_REGISTRATION. */
  status: string;
  aliases: string[];
}

/** A model source resolved to files of a run. */
export interface ResolvedModelSource {
  runId: string;
  /** Relative to the run's artifact root: a file or a directory (see downloadArtifact). */
  artifactPath: string;
  /** The registered version the source named, for models:/ sources. */
  modelVersion?: MlflowModelVersion;
}

export interface DownloadOptions {
  /** A larger artifact is refused (PAYLOAD_TOO_LARGE) and nothing is left at the destination. */
  maxBytes: number;
}

export interface DownloadedArtifact {
  /** The file actually downloaded: the `.onnx` inside when the path named a directory. */
  artifactPath: string;
  sizeBytes: number;
}
