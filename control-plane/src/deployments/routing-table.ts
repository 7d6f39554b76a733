import { create } from '@bufbuild/protobuf';
import {
  ModelRouteSchema,
  type RoutingSnapshot,
  RoutingSnapshotSchema,
  ShadowRouteSchema,
  TenantOverrideSchema,
} from '@contracts/generated/control/v1/routing_pb';
import { type RoutingState } from './deployment-reads.service';

/**
 * The control.v1 snapshot of a routing state: one route per deployment, by model name. While an
 * analysis runs with comparisonSamplePercent > 0, its canary also shadows that share of the calls
 * (unless the spec shadows it already), so both versions answer the same images.
 */
export function routingSnapshotOf(state: RoutingState): RoutingSnapshot {
  if (state.head === null)
    return create(RoutingSnapshotSchema, { revision: 0n, createdUnixMs: 0n });
  const comparisons = new Map(
    state.running
      .filter((analysis) => analysis.spec.comparisonSamplePercent > 0)
      .map((analysis) => [analysis.deploymentId, analysis] as const),
  );
  const routes = state.active
    .map(({ modelName, revision }) => {
      const shadows = revision.shadows.map(({ version, samplePercent }) =>
        create(ShadowRouteSchema, { version, samplePercent }),
      );
      const analysis = comparisons.get(revision.deploymentId);
      if (analysis !== undefined && !shadows.some((s) => s.version === analysis.canaryVersion)) {
        shadows.push(
          create(ShadowRouteSchema, {
            version: analysis.canaryVersion,
            samplePercent: analysis.spec.comparisonSamplePercent,
          }),
        );
      }
      return create(ModelRouteSchema, {
        model: modelName,
        deploymentRevision: BigInt(revision.id),
        stableVersion: revision.stableVersion,
        canaryVersion: revision.canaryVersion ?? '',
        canaryWeightPercent: revision.canaryWeightPercent,
        shadows,
        stickyKey: revision.stickyKey,
        tenantOverrides: revision.tenantOverrides.map(({ tenant, version }) =>
          create(TenantOverrideSchema, { tenant, version }),
        ),
      });
    })
    // By code unit, not by the database's collation: every replica orders alike.
    .sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : 0));
  return create(RoutingSnapshotSchema, {
    revision: BigInt(state.head.id),
    createdUnixMs: BigInt(state.head.createdAt.getTime()),
    routes,
  });
}
