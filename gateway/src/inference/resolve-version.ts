import { notFound } from '../errors/gateway-error';
import type { ModelMetadata } from '../request-path/inference-backend';
import type { ResolvedTarget } from '../request-path/resolved-target';

/** `version` of the model `metadata` describes ('' = the newest served); not_found otherwise. */
export function servedVersion(metadata: ModelMetadata, version: string): ResolvedTarget {
  const { name, versions } = metadata;
  if (version === '') return { model: name, version: versions[versions.length - 1], metadata };
  if (!versions.includes(version)) {
    throw notFound(`model '${name}' has no version '${version}' (served: ${versions.join(', ')})`);
  }
  return { model: name, version, metadata };
}
