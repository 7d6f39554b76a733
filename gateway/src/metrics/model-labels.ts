import type { InferenceBackend } from '../request-path/inference-backend';

/**
 * The one label value of every model or version the backend does not serve: names callers made up
 * (anonymous ones included) must not create series, or a scrape grows with every request.
 */
export const OTHER_LABEL = '_other';

/** What labelling needs from the backend: whether it serves a model, and a version of it. */
export type ServedModels = Pick<InferenceBackend, 'resolve'>;

export interface ModelLabels {
  model: string;
  version: string;
}

/**
 * `model` and `version` label values for a request that named them: as given when `served` serves
 * them, OTHER_LABEL otherwise; '' (not named) stays ''. Without `served` (not wired yet), every
 * named model is OTHER_LABEL.
 */
export function servedModelLabels(
  served: ServedModels | undefined,
  model = '',
  version = '',
): ModelLabels {
  const other = (value: string): string => (value === '' ? '' : OTHER_LABEL);
  if (model === '' || !served || !succeeds(() => served.resolve(model, ''))) {
    return { model: other(model), version: other(version) };
  }
  if (version === '' || succeeds(() => served.resolve(model, version))) {
    return { model, version };
  }
  return { model, version: OTHER_LABEL };
}

/** The backend answers "not served" by throwing not_found. */
function succeeds(lookup: () => unknown): boolean {
  try {
    lookup();
    return true;
  } catch {
    return false;
  }
}
