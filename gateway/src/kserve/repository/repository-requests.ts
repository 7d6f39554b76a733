import { invalidArgument } from '../../errors/gateway-error';
import { quoted, truncated } from '../../errors/quoted-value';

/**
 * What a model_repository request may name, checked before anything reads the repository: the
 * name becomes a folder path, so only the characters of a model folder (and of an `infer:` scope)
 * pass, never a `/` or a `..`.
 */
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** The name as given, or 400 / INVALID_ARGUMENT saying what a model name may be. */
export function checkModelName(name: string): string {
  if (!MODEL_NAME.test(name)) {
    throw invalidArgument(
      `model name ${quoted(name)} is not a model folder name: 1-128 letters, digits, _ . - (starting with a letter or digit)`,
    );
  }
  return name;
}

/** The gateway serves one repository (MODEL_REPOSITORY): requests name none. */
export function checkRepositoryName(name: string): void {
  if (name !== '') {
    throw invalidArgument(
      `repository_name ${quoted(name)}: the gateway serves one model repository; leave repository_name empty`,
    );
  }
}

/** A parameter as the request carried it: only whether its value is a boolean matters here. */
export interface RepositoryParameter {
  name: string;
  isBoolean: boolean;
}

/**
 * Triton's load parameters `config` and `file:<path>` override what the folder holds; the gateway
 * loads only what the repository holds (the control plane writes it there, then asks to load), so
 * both are refused by name, as is anything else. Unload takes Triton's `unload_dependents` (a
 * boolean): no model of this repository has dependents, so it changes nothing.
 */
export function checkParameters(
  action: 'load' | 'unload',
  parameters: readonly RepositoryParameter[],
): void {
  for (const { name, isBoolean } of parameters) {
    if (action === 'unload' && name === 'unload_dependents') {
      if (!isBoolean) throw invalidArgument("parameter 'unload_dependents' must be a boolean");
      continue;
    }
    if (action === 'load' && (name === 'config' || name.startsWith('file:'))) {
      throw invalidArgument(
        `parameter ${quoted(name)} is not supported: the gateway loads the model folder as the repository holds it; write the change there, then load`,
      );
    }
    const accepted = action === 'load' ? 'load takes none' : "unload takes 'unload_dependents'";
    throw invalidArgument(`unknown parameter ${quoted(name)} (${accepted})`);
  }
}

/** REST `POST /v2/repository/index` body (may be empty): `{"ready": bool}`. */
export function parseIndexBody(body: unknown): { ready: boolean } {
  const json = bodyObject(body, '{"ready": true}');
  checkFields(json, ['ready']);
  if (json.ready !== undefined && typeof json.ready !== 'boolean') {
    throw invalidArgument("field 'ready' must be true or false");
  }
  return { ready: json.ready === true };
}

/** REST load/unload body (may be empty): `{"parameters": {...}}`, checked by checkParameters. */
export function parseControlBody(action: 'load' | 'unload', body: unknown): void {
  const json = bodyObject(body, '{"parameters": {}}');
  checkFields(json, ['parameters']);
  if (json.parameters === undefined) return;
  if (!isObject(json.parameters)) throw invalidArgument("field 'parameters' must be an object");
  checkParameters(
    action,
    Object.entries(json.parameters).map(([name, value]) => ({
      name,
      isBoolean: typeof value === 'boolean',
    })),
  );
}

function bodyObject(body: unknown, shape: string): Record<string, unknown> {
  if (!Buffer.isBuffer(body) || body.length === 0) return {};
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw invalidArgument(
      `the body is not valid JSON (${truncated((error as Error).message, 200)}); expected ${shape}`,
    );
  }
  if (!isObject(json)) throw invalidArgument(`the body must be a JSON object like ${shape}`);
  return json;
}

function checkFields(json: Record<string, unknown>, known: readonly string[]): void {
  const unknown = Object.keys(json).find((key) => !known.includes(key));
  if (unknown !== undefined) {
    throw invalidArgument(
      `unknown field ${quoted(unknown)} (expected ${known.map((key) => `'${key}'`).join(', ')})`,
    );
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
