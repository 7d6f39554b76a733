/**
 * Where a model version comes from in MLflow, as users write it: `runs:/<run id>/<artifact path>`,
 * `models:/<name>/<version>` or `models:/<name>@<alias>`. Parsed strictly before anything is asked
 * of MLflow: the artifact path ends up in URLs and local file names, so traversal (`..`), absolute
 * paths and control characters are refused here, with a message naming what was wrong.
 */
import { ControlPlaneFailure, shown } from '../../errors/control-plane-error';

export type ModelSource =
  | { kind: 'run'; runId: string; artifactPath: string }
  | { kind: 'model-version'; name: string; version: string }
  | { kind: 'model-alias'; name: string; alias: string };

/** Longest source string accepted; real ones are far shorter. */
export const MAX_MODEL_SOURCE_LENGTH = 1024;

// MLflow's own run ids are 32 hex digits; other stores use other ids of the same alphabet.
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
// Stricter than MLflow (which allows spaces and more): the name also travels in our URLs and logs.
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,255}$/;
const VERSION = /^[1-9][0-9]{0,9}$/;
// MLflow's alias rule (word characters and '-'), which also reserves `latest` and `v<number>`.
const ALIAS = /^[A-Za-z0-9_-]{1,255}$/;
const RESERVED_ALIAS = /^(latest|v[0-9]+)$/i;
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

export function parseModelSource(source: string): ModelSource {
  if (source.length > MAX_MODEL_SOURCE_LENGTH) {
    refuse(
      `model source is ${source.length} characters long; at most ${MAX_MODEL_SOURCE_LENGTH} are accepted`,
    );
  }
  if (CONTROL_CHARACTERS.test(source)) {
    refuse(`model source ${shown(source)} contains control characters`);
  }
  if (source.startsWith('runs:/')) return parseRunSource(source, source.slice('runs:/'.length));
  if (source.startsWith('models:/'))
    return parseModelsSource(source, source.slice('models:/'.length));
  return refuse(
    `model source ${shown(source)} is not runs:/<run id>/<artifact path>, models:/<name>/<version> or models:/<name>@<alias>`,
  );
}

/** The canonical string of a parsed source (what parseModelSource accepts back). */
export function formatModelSource(source: ModelSource): string {
  switch (source.kind) {
    case 'run':
      return `runs:/${source.runId}/${source.artifactPath}`;
    case 'model-version':
      return `models:/${source.name}/${source.version}`;
    case 'model-alias':
      return `models:/${source.name}@${source.alias}`;
  }
}

/**
 * Checks an artifact path relative to a run's artifact root: non-empty, relative, no empty, `.` or
 * `..` segments, no backslashes (a Windows separator on some artifact stores).
 */
export function validateArtifactPath(path: string, context: string): string {
  if (path === '') refuse(`${context} has no artifact path`);
  if (path.length > MAX_MODEL_SOURCE_LENGTH) {
    refuse(`${context}: artifact path is ${path.length} characters long`);
  }
  if (CONTROL_CHARACTERS.test(path))
    refuse(`${context}: artifact path contains control characters`);
  if (path.startsWith('/')) refuse(`${context}: artifact path ${shown(path)} is absolute`);
  if (path.includes('\\')) refuse(`${context}: artifact path ${shown(path)} contains a backslash`);
  const segments = path.split('/');
  if (segments.some((segment) => segment === '..')) {
    refuse(`${context}: artifact path ${shown(path)} leaves the run's artifacts ('..')`);
  }
  if (segments.some((segment) => segment === '' || segment === '.')) {
    refuse(`${context}: artifact path ${shown(path)} has an empty or '.' segment`);
  }
  return path;
}

export function validateRunId(runId: string): string {
  if (!RUN_ID.test(runId)) {
    refuse(`run id ${shown(runId)} is not an MLflow run id (letters, digits, '_' and '-')`);
  }
  return runId;
}

function parseRunSource(source: string, rest: string): ModelSource {
  const slash = rest.indexOf('/');
  if (slash < 0) refuse(`model source ${shown(source)} has no artifact path after the run id`);
  const runId = validateRunId(rest.slice(0, slash));
  const artifactPath = validateArtifactPath(rest.slice(slash + 1), `model source ${shown(source)}`);
  return { kind: 'run', runId, artifactPath };
}

function parseModelsSource(source: string, rest: string): ModelSource {
  const at = rest.indexOf('@');
  const slash = rest.indexOf('/');
  if (at >= 0 && (slash < 0 || at < slash)) {
    const name = modelName(source, rest.slice(0, at));
    const alias = rest.slice(at + 1);
    if (!ALIAS.test(alias)) {
      refuse(
        `model source ${shown(source)}: alias ${shown(alias)} is not letters, digits, '_' and '-'`,
      );
    }
    if (RESERVED_ALIAS.test(alias)) {
      refuse(`model source ${shown(source)}: ${shown(alias)} is reserved by MLflow, not an alias`);
    }
    return { kind: 'model-alias', name, alias };
  }
  if (slash < 0) {
    refuse(
      `model source ${shown(source)} names no version (models:/<name>/<version> or models:/<name>@<alias>)`,
    );
  }
  const name = modelName(source, rest.slice(0, slash));
  const version = rest.slice(slash + 1);
  if (!VERSION.test(version)) {
    // Stages (Production, ...) and `latest` move under our feet; lineage needs a fixed version.
    refuse(
      `model source ${shown(source)}: version ${shown(version)} is not a version number (stages and 'latest' are not accepted; use an alias)`,
    );
  }
  return { kind: 'model-version', name, version };
}

function modelName(source: string, name: string): string {
  if (!MODEL_NAME.test(name)) {
    refuse(
      `model source ${shown(source)}: model name ${shown(name)} is not letters, digits, '.', '_' and '-' (starting with a letter or digit)`,
    );
  }
  return name;
}

function refuse(message: string): never {
  throw new ControlPlaneFailure('BAD_USER_INPUT', message);
}
