import { InitialRegistrySchema1763700000000 } from './1763700000000-initial-registry-schema';
import { ApiKeysTable1764800000000 } from './1764800000000-api-keys-table';
import { ModelLifecycle1764900000000 } from './1764900000000-model-lifecycle';
import { Deployments1765000000000 } from './1765000000000-deployments';

/** In order of application; listed explicitly so the same list works from sources and from dist. */
export const CONTROL_PLANE_MIGRATIONS = [
  InitialRegistrySchema1763700000000,
  ApiKeysTable1764800000000,
  ModelLifecycle1764900000000,
  Deployments1765000000000,
];
