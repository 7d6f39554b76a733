import { notFound } from '../errors/gateway-error';
import type { ModelMetadata } from './inference-backend';

/**
 * A model version the backend serves, with its metadata: what a call is routed to. Resolved once
 * per call (the route stage) and read by every later step; never written back into the request.
 */
export interface ResolvedTarget {
  readonly model: string;
  readonly version: string;
  readonly metadata: ModelMetadata;
}

/** `version` of the model `metadata` describes ('' = the newest served); not_found otherwise. */
export function servedVersion(metadata: ModelMetadata, version: string): ResolvedTarget {
  const { name, versions } = metadata;
  if (version === '') return { model: name, version: versions[versions.length - 1], metadata };
  if (!versions.includes(version)) {
    throw notFound(`model '${name}' has no version '${version}' (served: ${versions.join(', ')})`);
  }
  return { model: name, version, metadata };
}
