import type { ModelMetadata } from '../request-path/inference-backend';

/** Model instances one backend endpoint runs for a model: its instance_group counts (at least 1). */
export function modelInstanceCount(metadata: ModelMetadata): number {
  const total = metadata.config.instanceGroup.reduce(
    (sum, group) => sum + Math.max(1, group.count),
    0,
  );
  return Math.max(1, total);
}
