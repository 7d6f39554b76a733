import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { RoutingSnapshotSchema } from '@contracts/generated/control/v1/routing_pb';
import { plainBackend, plainModelMetadata } from '../../test/model-metadata-fixture';
import { loadGatewayConfig } from '../config/gateway-config';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { RoutingMetrics } from './routing-metrics';
import { RoutingState } from './routing-state';

const backend = plainBackend({ ...plainModelMetadata(['1', '2']), name: 'm' });

function snapshot(revision: bigint, canaryVersion = '2') {
  return create(RoutingSnapshotSchema, {
    revision,
    createdUnixMs: BigInt(Date.now() - 5000),
    routes: [{ model: 'm', stableVersion: '1', canaryVersion, canaryWeightPercent: 10 }],
  });
}

describe('RoutingState', () => {
  let dataDir: string;
  let metrics: GatewayMetrics;
  const stateIn = (directory: string) => {
    metrics = new GatewayMetrics();
    const config = loadGatewayConfig({ GATEWAY_DATA_DIR: directory });
    return new RoutingState(backend, config, new RoutingMetrics(metrics));
  };
  const metric = async (name: string) => await metrics.registry.getSingleMetricAsString(name);

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'routing-state-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts as identity, applies a snapshot, and serves it again after a restart', async () => {
    const state = stateIn(dataDir);
    await state.onModuleInit();
    expect(state.current.revision).toBe(0n);
    await expect(state.apply(snapshot(5n), 'control_plane')).resolves.toEqual({ applied: true });
    expect(state.current.route('m')?.canaryVersion).toBe('2');
    expect(await metric('gateway_routing_revision')).toMatch(/gateway_routing_revision 5$/m);
    expect(await metric('gateway_routing_snapshot_age_seconds')).toMatch(
      /gateway_routing_snapshot_age_seconds [5-9]\.\d+$/m,
    );
    expect(await metric('gateway_routing_updates_total')).toMatch(
      /source="control_plane",result="applied"} 1/,
    );

    const restarted = stateIn(dataDir);
    await restarted.onModuleInit();
    expect(restarted.current.revision).toBe(5n);
    expect(restarted.current.route('m')?.stableVersion).toBe('1');
    expect(await metric('gateway_routing_updates_total')).toMatch(
      /source="persisted",result="applied"} 1/,
    );
  });

  it('rejects an invalid snapshot and keeps serving (and persisting) the previous one', async () => {
    const state = stateIn(dataDir);
    await state.apply(snapshot(5n), 'file');
    const before = state.current;
    const result = await state.apply(snapshot(6n, '9'), 'file');
    expect(result).toEqual({
      applied: false,
      reason: expect.stringMatching(/canary_version names version '9'/),
    });
    expect(state.current).toBe(before);
    expect(await metric('gateway_routing_updates_total')).toMatch(
      /source="file",result="rejected"} 1/,
    );
    const restarted = stateIn(dataDir);
    await restarted.onModuleInit();
    expect(restarted.current.revision).toBe(5n);
  });

  it('rejects an older revision, and applies revision 0 as routing removed', async () => {
    const state = stateIn(dataDir);
    await state.apply(snapshot(5n), 'control_plane');
    await expect(state.apply(snapshot(4n), 'control_plane')).resolves.toEqual({
      applied: false,
      reason: 'revision 4 is older than revision 5, which is served',
    });
    await expect(state.apply(snapshot(5n), 'control_plane')).resolves.toEqual({ applied: true });
    await expect(
      state.apply(create(RoutingSnapshotSchema, { revision: 0n }), 'control_plane'),
    ).resolves.toEqual({ applied: true });
    expect(state.current.revision).toBe(0n);
    expect(state.current.route('m')).toBeUndefined();
    const restarted = stateIn(dataDir);
    await restarted.onModuleInit();
    expect(restarted.current.revision).toBe(0n);
  });

  it('serves a persisted table naming versions not served yet, and starts from identity on a corrupt file', async () => {
    const state = stateIn(dataDir);
    await state.apply(snapshot(3n), 'control_plane');
    const narrower = plainBackend({ ...plainModelMetadata(['1']), name: 'm' });
    const restarted = new RoutingState(
      narrower,
      loadGatewayConfig({ GATEWAY_DATA_DIR: dataDir }),
      new RoutingMetrics(new GatewayMetrics()),
    );
    await restarted.onModuleInit();
    expect(restarted.current.route('m')?.canaryVersion).toBe('2');

    writeFileSync(join(dataDir, 'routing', 'snapshot.binpb'), Buffer.from([0xff, 0xff, 0xff]));
    const corrupt = stateIn(dataDir);
    await corrupt.onModuleInit();
    expect(corrupt.current.revision).toBe(0n);
    expect(await metric('gateway_routing_updates_total')).toMatch(
      /source="persisted",result="rejected"} 1/,
    );
  });
});
