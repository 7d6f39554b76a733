import { ControlPlaneFailure, shown } from '../../errors/control-plane-error';
import { PARENT_RELATIONS } from '../entities/model-version.entity';
import { type RegisterModelVersionCommand } from './register-command';

/** What Triton accepts as a model folder name, without the names a file system treats specially. */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const VERSION_PATTERN = /^[0-9]{1,15}$/;
const SHA256_PATTERN = /^[0-9a-fA-F]{64}$/;
const TAG_KEY_PATTERN = /^[A-Za-z0-9_.:/-]{1,128}$/;

export const LIMITS = {
  descriptionChars: 4096,
  modelCardChars: 60_000,
  tags: 50,
  tagValueChars: 1024,
  labels: 100_000,
  labelChars: 256,
  codeRevisionChars: 200,
  datasetFieldChars: 1024,
  taskChars: 64,
} as const;

/**
 * Refuses what no registration may carry, before any artifact is fetched: each problem names the
 * argument. Sizes are also bounded by the request body limit; these bound what is stored.
 */
export function checkRegisterCommand(command: RegisterModelVersionCommand): void {
  checkModelName(command.model, 'model');
  if (command.task !== undefined) checkLength(command.task, LIMITS.taskChars, 'task');
  const sources = ['uploadId' in command.source, 'mlflow' in command.source].filter(Boolean);
  if (sources.length !== 1) {
    throw refuse('source', 'give exactly one of source.uploadId and source.mlflow');
  }
  if (command.expectedSha256 !== undefined && !SHA256_PATTERN.test(command.expectedSha256)) {
    throw refuse('expectedSha256', 'expectedSha256 must be 64 hex digits');
  }
  if (command.description !== undefined) {
    checkLength(command.description, LIMITS.descriptionChars, 'description');
  }
  if (command.modelCard !== undefined) {
    checkLength(command.modelCard, LIMITS.modelCardChars, 'modelCard');
  }
  if (command.tags !== undefined) checkTags(command.tags);
  if (command.labels !== undefined) {
    if (command.labels.length > LIMITS.labels) {
      throw refuse('labels', `at most ${LIMITS.labels} labels`);
    }
    const long = command.labels.find(
      (label) => label.length > LIMITS.labelChars || label.includes('\n'),
    );
    if (long !== undefined) {
      throw refuse(
        'labels',
        `label ${shown(long, 32)} is longer than ${LIMITS.labelChars} characters or holds a line break`,
      );
    }
  }
  if (command.parent !== undefined) {
    if (!VERSION_PATTERN.test(command.parent.version)) {
      throw refuse(
        'parent.version',
        `parent.version ${shown(command.parent.version)} is not a version number`,
      );
    }
    if (!(PARENT_RELATIONS as readonly string[]).includes(command.parent.relation)) {
      throw refuse(
        'parent.relation',
        `parent.relation must be one of ${PARENT_RELATIONS.join(', ')}`,
      );
    }
  }
  if (command.codeRevision !== undefined) {
    checkLength(command.codeRevision, LIMITS.codeRevisionChars, 'codeRevision');
  }
  if (command.dataset !== undefined) {
    const { name, digest, source, sourceType } = command.dataset;
    for (const [field, value] of Object.entries({ name, digest, source, sourceType })) {
      if (typeof value === 'string')
        checkLength(value, LIMITS.datasetFieldChars, `dataset.${field}`);
    }
    if (name.trim() === '' || digest.trim() === '') {
      throw refuse('dataset', 'dataset.name and dataset.digest must not be empty');
    }
  }
}

export function checkModelName(name: string, argument: string): void {
  if (!MODEL_NAME_PATTERN.test(name)) {
    throw refuse(
      argument,
      `${argument} ${shown(name, 32)} is not a model name: letters, digits, "_", "." and "-", starting with a letter or digit, at most 128 characters`,
    );
  }
}

export function checkVersionName(version: string, argument: string): void {
  if (!VERSION_PATTERN.test(version)) {
    throw refuse(argument, `${argument} ${shown(version, 32)} is not a version number`);
  }
}

export function checkTags(tags: Record<string, string>): void {
  const entries = Object.entries(tags);
  if (entries.length > LIMITS.tags) throw refuse('tags', `at most ${LIMITS.tags} tags`);
  for (const [key, value] of entries) {
    if (!TAG_KEY_PATTERN.test(key)) {
      throw refuse('tags', `tag key ${shown(key, 32)} must be 1-128 letters, digits or _.:/-`);
    }
    checkLength(value, LIMITS.tagValueChars, `tags.${key}`);
  }
}

export function checkLength(value: string, max: number, argument: string): void {
  if (value.length > max) {
    throw refuse(argument, `${argument} is ${value.length} characters long; at most ${max}`);
  }
}

function refuse(argument: string, message: string): ControlPlaneFailure {
  return new ControlPlaneFailure('BAD_USER_INPUT', message, { argument });
}
