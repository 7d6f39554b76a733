import { create } from '@bufbuild/protobuf';
import { RoutingSnapshotSchema } from '@contracts/generated/control/v1/routing_pb';
import { plainBackend, plainModelMetadata } from '../../test/model-metadata-fixture';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import type { CallContext } from '../request-path/call-context';
import type { CallWork, GuardedCall } from '../request-path/call-work';
import { RouteStage } from './route.stage';
import { RoutingMetrics } from './routing-metrics';
import { RoutingTable } from './routing-table';

const call: CallContext = {
  caller: { tenant: 't', subject: 'key:t', scopes: ['infer:*'] },
  priority: 'realtime',
  images: 1,
};
const work = {} as CallWork<unknown>;
const guarded = (version = ''): GuardedCall => ({ call, ask: { model: 'm', version }, work });

const table = (stable: string, canary: string, weight: number) =>
  RoutingTable.from(
    create(RoutingSnapshotSchema, {
      revision: 9n,
      routes: [
        {
          model: 'm',
          deploymentRevision: 4n,
          stableVersion: stable,
          canaryVersion: canary,
          canaryWeightPercent: weight,
          shadows: [{ version: '1', samplePercent: 100 }],
        },
      ],
    }),
  );

describe('RouteStage', () => {
  const backend = plainBackend({ ...plainModelMetadata(['1', '2', '3']), name: 'm' });
  let metrics: GatewayMetrics;
  let routing: RoutingMetrics;
  beforeEach(() => {
    metrics = new GatewayMetrics();
    metrics.labelModelsServedBy(backend);
    routing = new RoutingMetrics(metrics);
  });
  const text = (name: string) => metrics.registry.getSingleMetricAsString(name);

  it('routes by the table and counts the decision', async () => {
    const stage = new RouteStage(backend, { current: table('2', '3', 100) }, routing);
    const routed = guarded();
    stage.check(routed);
    expect(routed.target?.version).toBe('3');
    expect(routed.route).toEqual({
      role: 'canary',
      version: '3',
      revision: 9n,
      deploymentRevision: 4n,
      shadows: [{ version: '1' }],
    });
    expect(await text('gateway_routing_decisions_total')).toMatch(
      /model="m",version="3",role="canary"} 1/,
    );
  });

  it('serves an explicit version as pinned, bypassing the table', () => {
    const stage = new RouteStage(backend, { current: table('2', '3', 100) }, routing);
    const routed = guarded('1');
    stage.check(routed);
    expect(routed.target?.version).toBe('1');
    expect(routed.route).toMatchObject({ role: 'pinned', version: '1', shadows: [] });
  });

  it('routes by identity without a table: the newest served version', () => {
    const routed = guarded();
    new RouteStage(backend).check(routed);
    expect(routed.target?.version).toBe('3');
    expect(routed.route?.role).toBe('identity');
  });

  it('falls back to stable when the decided version is no longer served, then to identity', async () => {
    const narrower = plainBackend({ ...plainModelMetadata(['1', '2']), name: 'm' });
    const toStable = guarded();
    new RouteStage(narrower, { current: table('2', '3', 100) }, routing).check(toStable);
    expect(toStable.target?.version).toBe('2');
    expect(toStable.route).toMatchObject({ role: 'stable', version: '2' });

    const onlyOne = plainBackend({ ...plainModelMetadata(['1']), name: 'm' });
    const toIdentity = guarded();
    new RouteStage(onlyOne, { current: table('2', '3', 100) }, routing).check(toIdentity);
    expect(toIdentity.target?.version).toBe('1');
    // The shadow is the version that now serves the call: no copy to itself.
    expect(toIdentity.route).toMatchObject({ role: 'identity', version: '', shadows: [] });
    expect(await text('gateway_routing_fallbacks_total')).toMatch(/model="m"} 2/);
  });

  it('refuses an unknown model or version as the backend does', () => {
    const stage = new RouteStage(backend, { current: table('2', '3', 0) }, routing);
    expect(() => stage.check(guarded('7'))).toThrow(/has no version '7'/);
    expect(() => stage.check({ call, ask: { model: 'x', version: '' }, work })).toThrow();
  });
});
