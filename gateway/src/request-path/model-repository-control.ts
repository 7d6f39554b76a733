/** A model's state as Triton's model_repository extension reports it. */
export type ModelState = 'READY' | 'UNAVAILABLE' | 'LOADING' | 'UNLOADING';

const MODEL_STATES: readonly string[] = ['READY', 'UNAVAILABLE', 'LOADING', 'UNLOADING'];

export function isModelState(value: string): value is ModelState {
  return MODEL_STATES.includes(value);
}

/**
 * One entry of RepositoryIndex: a version of a loaded model, or a model folder (version '') that
 * serves nothing now. `state` '' is a folder nothing was ever asked to load, as Triton lists it.
 */
export interface RepositoryIndexEntry {
  name: string;
  version: string;
  state: ModelState | '';
  reason: string;
}

/**
 * Triton's model_repository extension on whatever runs models: what the control plane calls once
 * it has written a model folder. Each call settles once the change is in effect (or refused), so a
 * caller that got an answer sees the new state on the next call.
 */
export interface ModelRepositoryControl {
  /** Every model folder of the repository; `readyOnly` keeps the entries that are READY. */
  repositoryIndex(readyOnly: boolean): Promise<RepositoryIndexEntry[]>;
  /** Loads `model` from its folder, or reloads it; the version served before stays until it works. */
  loadModel(model: string): Promise<void>;
  /** Stops serving `model`: new calls find it unknown; calls already running finish. */
  unloadModel(model: string): Promise<void>;
}

/** Triton's answer (UNAVAILABLE) to load/unload when its model control mode does not allow them. */
export const MODEL_CONTROL_DISABLED =
  'explicit model load / unload is not allowed if polling is enabled';
