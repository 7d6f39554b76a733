import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { sha256Artifact } from './artifact-hash';
import { EMBEDDED_BACKEND } from './backends';
import { parseModelConfig } from './config-pbtxt';
import { readLabels } from './labels';
import type {
  ModelDefinition,
  ModelRepositorySnapshot,
  ModelVersionFiles,
  RepositoryLoadError,
} from './model-definition';
import { interpretModelConfig } from './validate-config';
import {
  describeVersionPolicy,
  NON_VERSION_DIRECTORIES,
  parseVersionDirectoryName,
  selectServedVersions,
} from './version-policy';

export const CONFIG_FILENAME = 'config.pbtxt';

/**
 * Reads a Triton model repository: every subdirectory is a model. A model that cannot be served
 * lands in `errors` with the reason; it never hides the others. Throws only when `root` itself
 * cannot be read.
 */
export async function loadModelRepository(root: string): Promise<ModelRepositorySnapshot> {
  const absoluteRoot = resolve(root);
  let names: string[];
  try {
    if (!(await stat(absoluteRoot)).isDirectory()) throw new Error('not a directory');
    names = await readdir(absoluteRoot);
  } catch (error) {
    throw new Error(`model repository ${absoluteRoot} cannot be read: ${messageOf(error)}`);
  }
  const modelNames: string[] = [];
  for (const name of names.sort()) {
    if (!name.startsWith('.') && (await isDirectory(join(absoluteRoot, name))))
      modelNames.push(name);
  }
  const outcomes = await Promise.all(
    modelNames.map((name) =>
      loadModel(absoluteRoot, name).then(
        (model): ModelDefinition | RepositoryLoadError => model,
        (error: unknown): RepositoryLoadError => ({ model: name, message: messageOf(error) }),
      ),
    ),
  );
  return {
    root: absoluteRoot,
    models: outcomes.filter((outcome): outcome is ModelDefinition => !('message' in outcome)),
    errors: outcomes.filter((outcome): outcome is RepositoryLoadError => 'message' in outcome),
  };
}

/** Loads one model directory; throws an Error whose message says what is wrong and where. */
export async function loadModel(root: string, directoryName: string): Promise<ModelDefinition> {
  const directory = join(root, directoryName);
  const configPath = join(directory, CONFIG_FILENAME);
  let configText: string;
  try {
    configText = await readFile(configPath, 'utf8');
  } catch (error) {
    throw new Error(
      `${configPath}: ${isMissing(error) ? 'missing (every model directory needs one)' : messageOf(error)}`,
    );
  }
  const config = parseModelConfig(configText, configPath);

  const { versionDirectories, warnings } = await scanVersionDirectories(directory);
  const inferredBackend =
    config.platform === '' && config.backend === ''
      ? await detectBackend(directory, config.defaultModelFilename, [
          ...versionDirectories.values(),
        ])
      : undefined;
  const interpreted = interpretModelConfig(config, {
    directoryName,
    source: configPath,
    inferredBackend,
    autoComplete: true,
  });
  warnings.push(...interpreted.warnings);

  const selection = selectServedVersions(config.versionPolicy, [...versionDirectories.keys()]);
  for (const version of selection.missing) {
    warnings.push(
      `version_policy names version ${version} but ${join(directory, String(version))} does not exist`,
    );
  }
  if (selection.served.length === 0) {
    const present = [...versionDirectories.keys()].sort((a, b) => (a < b ? -1 : 1));
    throw new Error(
      `model "${interpreted.name}" has no version to serve: version_policy ${describeVersionPolicy(config.versionPolicy)}` +
        ` selects none of the version directories present [${present.join(', ')}] in ${directory}`,
    );
  }

  const served = new Set(selection.served);
  const versions: ModelVersionFiles[] = [];
  const problems: string[] = [];
  const ascending = [...versionDirectories.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  for (const [version, versionDirectoryName] of ascending) {
    const versionDirectory = join(directory, versionDirectoryName);
    const modelFile = interpreted.modelFilename
      ? join(versionDirectory, interpreted.modelFilename)
      : versionDirectory;
    if (!(await exists(modelFile))) {
      const what = `version ${version} has no model file ${modelFile}`;
      if (served.has(version)) problems.push(what);
      else warnings.push(`${what} (not served, skipped)`);
      continue;
    }
    const digest = await sha256Artifact(modelFile);
    versions.push({ version: String(version), directory: versionDirectory, modelFile, ...digest });
  }
  if (problems.length > 0) throw new Error(`model "${interpreted.name}": ${problems.join('; ')}`);

  const definition: ModelDefinition = {
    name: interpreted.name,
    directory,
    platform: interpreted.platform,
    backend: interpreted.backend,
    maxBatchSize: interpreted.maxBatchSize,
    inputs: interpreted.inputs,
    outputs: interpreted.outputs,
    versions,
    servedVersions: selection.served.map(String),
    config,
    configText,
    warnings,
  };
  if (interpreted.dynamicBatching) definition.dynamicBatching = interpreted.dynamicBatching;
  if (interpreted.unsupportedReason) definition.unsupportedReason = interpreted.unsupportedReason;

  const labelled = interpreted.outputs.find((output) => output.labelFilename !== undefined);
  if (labelled?.labelFilename !== undefined) {
    const labelFile = join(directory, labelled.labelFilename);
    try {
      definition.labels = await readLabels(labelFile);
    } catch (error) {
      throw new Error(
        `model "${interpreted.name}": output "${labelled.name}" label_filename ${labelFile}: ` +
          (isMissing(error) ? 'missing' : messageOf(error)),
      );
    }
  }
  return definition;
}

/** Numeric subdirectories by version; other subdirectories are reported as ignored, like Triton does. */
async function scanVersionDirectories(
  directory: string,
): Promise<{ versionDirectories: Map<bigint, string>; warnings: string[] }> {
  const versionDirectories = new Map<bigint, string>();
  const warnings: string[] = [];
  for (const name of (await readdir(directory)).sort()) {
    if (name.startsWith('.') || NON_VERSION_DIRECTORIES.has(name)) continue;
    if (!(await isDirectory(join(directory, name)))) continue;
    const version = parseVersionDirectoryName(name);
    if (version === undefined) warnings.push(`ignored directory "${name}": not a version number`);
    else versionDirectories.set(version, name);
  }
  return { versionDirectories, warnings };
}

/** Triton's auto-complete picks ONNX Runtime when it finds an ONNX model; so do we. */
async function detectBackend(
  directory: string,
  defaultModelFilename: string,
  versionDirectoryNames: string[],
): Promise<string | undefined> {
  if (defaultModelFilename.endsWith('.onnx')) return EMBEDDED_BACKEND;
  for (const name of versionDirectoryNames) {
    if (await exists(join(directory, name, 'model.onnx'))) return EMBEDDED_BACKEND;
  }
  return undefined;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
