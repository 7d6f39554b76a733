import { InitialRegistrySchema1763700000000 } from './1763700000000-initial-registry-schema';

/** In order of application; listed explicitly so the same list works from sources and from dist. */
export const CONTROL_PLANE_MIGRATIONS = [InitialRegistrySchema1763700000000];
