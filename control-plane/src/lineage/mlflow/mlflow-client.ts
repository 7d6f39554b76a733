/**
 * A small typed client of the MLflow tracking server's REST API 2.0 and artifact proxy, for what
 * lineage needs: runs (params, latest metrics, tags, dataset inputs), registered model versions,
 * and a run's artifact files. Ours because the npm `mlflow` package predates MLflow 3 (no model
 * registry, calls the removed `experiments/list`); see docs/control-plane.md, "MLflow client".
 */
import { ControlPlaneFailure, shown } from '../../errors/control-plane-error';
import { streamToFile } from './artifact-download';
import { MlflowHttp } from './mlflow-http';
import {
  type DownloadOptions,
  type DownloadedArtifact,
  type MlflowArtifact,
  type MlflowClientOptions,
  type MlflowModelVersion,
  type MlflowRun,
  type ResolvedModelSource,
} from './mlflow-types';
import {
  artifactListAnswer,
  experimentAnswer,
  modelVersionAnswer,
  runAnswer,
  type ModelVersionAnswer,
  type RunAnswer,
} from './mlflow-wire';
import { parseModelSource, validateArtifactPath, validateRunId } from './model-source';
import { artifactProxyRoot, fromRunAnswer, relativeToRunArtifacts } from './run-mapping';

const API = '/api/2.0/mlflow';
const ARTIFACT_PROXY = '/api/2.0/mlflow-artifacts/artifacts';
// A directory listing is paged by MLflow; this many entries is far beyond any model directory.
const MAX_LISTED_ARTIFACTS = 10_000;

export class MlflowClient {
  private readonly http: MlflowHttp;

  constructor(options: MlflowClientOptions) {
    this.http = new MlflowHttp(options);
  }

  /** The tracking URI as messages show it. */
  get trackingUri(): string {
    return this.http.shownUri;
  }

  async getRun(runId: string): Promise<MlflowRun> {
    const answer = await this.runAnswer(validateRunId(runId));
    const experimentId = answer.run.info.experiment_id;
    const { experiment } = await this.http.getJson(
      `${API}/experiments/get`,
      { experiment_id: experimentId },
      experimentAnswer,
      { what: `experiment ${shown(experimentId)} of run ${shown(runId)}` },
    );
    return fromRunAnswer(answer, experiment.name);
  }

  async getModelVersion(name: string, version: string): Promise<MlflowModelVersion> {
    const answer = await this.http.getJson(
      `${API}/model-versions/get`,
      { name, version },
      modelVersionAnswer,
      { what: `version ${shown(version)} of registered model ${shown(name)}` },
    );
    return fromModelVersionAnswer(answer);
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<MlflowModelVersion> {
    const answer = await this.http.getJson(
      `${API}/registered-models/alias`,
      { name, alias },
      modelVersionAnswer,
      {
        what: `alias ${shown(alias)} of registered model ${shown(name)}`,
        // MLflow 3.17 answers an unknown alias with INVALID_PARAMETER_VALUE "... alias x not found."
        notFound: ({ errorCode, message }) =>
          errorCode === 'INVALID_PARAMETER_VALUE' && /alias .* not found/i.test(message),
      },
    );
    return fromModelVersionAnswer(answer);
  }

  /**
   * The run and artifact path behind a source string (see model-source.ts). A registered version
   * points at its run by `run_id` and at its files by `source`: `runs:/<run>/<path>` when created
   * from a run's artifacts (what MLflow 3.17 stores as given), or a URI inside the run's artifact
   * root. Versions of MLflow 3 logged models (`models:/m-...`, from `log_model`) keep their files
   * outside any run and are refused. A runs:/ source is only parsed: getRun and downloadArtifact
   * find out whether the run and path exist.
   */
  async resolveSource(source: string): Promise<ResolvedModelSource> {
    const parsed = parseModelSource(source);
    if (parsed.kind === 'run') return { runId: parsed.runId, artifactPath: parsed.artifactPath };
    const modelVersion =
      parsed.kind === 'model-version'
        ? await this.getModelVersion(parsed.name, parsed.version)
        : await this.getModelVersionByAlias(parsed.name, parsed.alias);
    const which = `version ${modelVersion.version} of registered model ${shown(modelVersion.name)}`;
    if (modelVersion.status !== 'READY') {
      throw new ControlPlaneFailure(
        'BAD_USER_INPUT',
        `${which} is ${modelVersion.status}, not READY`,
      );
    }
    if (modelVersion.source.startsWith('runs:/')) {
      const runSource = parseModelSource(modelVersion.source);
      if (runSource.kind === 'run') {
        return { runId: runSource.runId, artifactPath: runSource.artifactPath, modelVersion };
      }
    }
    if (modelVersion.runId === undefined || modelVersion.runId === '') {
      throw new ControlPlaneFailure(
        'BAD_USER_INPUT',
        `${which} was not registered from a run (source ${shown(modelVersion.source)})`,
      );
    }
    const run = await this.runAnswer(validateRunId(modelVersion.runId));
    const artifactPath = relativeToRunArtifacts(run.run.info.artifact_uri, modelVersion.source);
    if (artifactPath === undefined) {
      throw new ControlPlaneFailure(
        'BAD_USER_INPUT',
        `${which} has source ${shown(modelVersion.source)}, which is not among the artifacts of its run ${modelVersion.runId} (MLflow 3 logged models are not supported)`,
      );
    }
    validateArtifactPath(artifactPath, `source of ${which}`);
    return { runId: modelVersion.runId, artifactPath, modelVersion };
  }

  /** The entries directly under `path` ('' for the root), paths relative to the run's root. */
  async listArtifacts(runId: string, path = ''): Promise<MlflowArtifact[]> {
    validateRunId(runId);
    if (path !== '') validateArtifactPath(path, `artifact listing of run ${runId}`);
    const artifacts: MlflowArtifact[] = [];
    let pageToken: string | undefined;
    do {
      const query: Record<string, string> = { run_id: runId, path };
      if (pageToken !== undefined) query.page_token = pageToken;
      const answer = await this.http.getJson(`${API}/artifacts/list`, query, artifactListAnswer, {
        what: `artifacts ${shown(path)} of run ${shown(runId)}`,
      });
      for (const file of answer.files) {
        artifacts.push({
          path: file.path,
          isDir: file.is_dir,
          ...(file.file_size !== undefined ? { fileSize: file.file_size } : {}),
        });
      }
      if (artifacts.length > MAX_LISTED_ARTIFACTS) {
        throw this.http.fail(
          'UPSTREAM_ERROR',
          `lists more than ${MAX_LISTED_ARTIFACTS} artifacts under ${shown(path)} of run ${runId}`,
        );
      }
      pageToken = answer.next_page_token || undefined;
    } while (pageToken !== undefined);
    return artifacts;
  }

  /**
   * Streams one artifact file to `destinationFile` through the server's artifact proxy
   * (`mlflow server --serve-artifacts`, the default, with `--artifacts-destination`).
   * A path naming a directory that holds exactly one `.onnx` file downloads that file: MLflow
   * models are usually logged as a directory (`model/` with `model.onnx`, `MLmodel`, ...); any
   * other directory is refused. A file over `maxBytes` is refused before its first byte when its
   * size is listed or declared, else as soon as the count passes it; nothing is left behind.
   */
  async downloadArtifact(
    runId: string,
    artifactPath: string,
    destinationFile: string,
    options: DownloadOptions,
  ): Promise<DownloadedArtifact> {
    validateRunId(runId);
    validateArtifactPath(artifactPath, `artifact of run ${runId}`);
    if (!Number.isSafeInteger(options.maxBytes) || options.maxBytes <= 0) {
      throw new ControlPlaneFailure('BAD_USER_INPUT', 'maxBytes must be a positive integer');
    }
    const run = await this.runAnswer(runId);
    const root = artifactProxyRoot(run.run.info.artifact_uri);
    if (root === undefined) {
      throw this.http.fail(
        'UPSTREAM_ERROR',
        `keeps the artifacts of run ${runId} at ${shown(run.run.info.artifact_uri)}, which it does not serve through its artifact proxy (start it with --serve-artifacts and --artifacts-destination)`,
      );
    }
    const file = await this.artifactFile(runId, artifactPath);
    const what = `artifact ${shown(file.path)} of run ${runId}`;
    if (file.fileSize !== undefined && file.fileSize > options.maxBytes) {
      throw new ControlPlaneFailure(
        'BAD_USER_INPUT',
        `${what} is ${file.fileSize} bytes, more than the download limit of ${options.maxBytes} bytes`,
      );
    }
    const url = `${ARTIFACT_PROXY}/${[...root, ...file.path.split('/')].map(encodeURIComponent).join('/')}`;
    const answer = await this.http.open(url, { what });
    const sizeBytes = await streamToFile(answer, {
      destinationFile,
      maxBytes: options.maxBytes,
      what,
    });
    return { artifactPath: file.path, sizeBytes };
  }

  /** The file `artifactPath` names, or the one `.onnx` file of the directory it names. */
  private async artifactFile(runId: string, artifactPath: string): Promise<MlflowArtifact> {
    const slash = artifactPath.lastIndexOf('/');
    const parent = slash < 0 ? '' : artifactPath.slice(0, slash);
    // Listing a file's path answers nothing, as does a missing path: its parent tells which.
    const entry = (await this.listArtifacts(runId, parent)).find((a) => a.path === artifactPath);
    if (entry === undefined) {
      throw this.http.fail('NOT_FOUND', `has no artifact ${shown(artifactPath)} in run ${runId}`);
    }
    if (!entry.isDir) return entry;
    const children = await this.listArtifacts(runId, artifactPath);
    const onnx = children.filter((child) => !child.isDir && child.path.endsWith('.onnx'));
    const only = onnx[0];
    if (onnx.length !== 1 || only === undefined) {
      throw new ControlPlaneFailure(
        'BAD_USER_INPUT',
        `artifact ${shown(artifactPath)} of run ${runId} is a directory holding ${onnx.length} .onnx files; name the file`,
      );
    }
    return only;
  }

  private runAnswer(runId: string): Promise<RunAnswer> {
    return this.http.getJson(`${API}/runs/get`, { run_id: runId }, runAnswer, {
      what: `run ${shown(runId)}`,
    });
  }
}

function fromModelVersionAnswer({ model_version: v }: ModelVersionAnswer): MlflowModelVersion {
  return {
    name: v.name,
    version: v.version,
    source: v.source,
    ...(v.run_id ? { runId: v.run_id } : {}),
    status: v.status,
    aliases: v.aliases,
  };
}
