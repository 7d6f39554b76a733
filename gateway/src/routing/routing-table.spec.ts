import { create } from '@bufbuild/protobuf';
import { RoutingSnapshotSchema, type ModelRoute } from '@contracts/generated/control/v1/routing_pb';
import { plainBackend, plainModelMetadata } from '../../test/model-metadata-fixture';
import type { CallContext } from '../request-path/call-context';
import { RoutingTable, RoutingTableRejection, stickyPoint } from './routing-table';

type RouteInit = Partial<
  Omit<ModelRoute, '$typeName' | '$unknown' | 'shadows' | 'tenantOverrides'>
> & {
  shadows?: { version: string; samplePercent: number }[];
  tenantOverrides?: { tenant: string; version: string }[];
};
interface SnapshotInit {
  revision: bigint;
  routes?: RouteInit[];
}

const served = plainBackend({ ...plainModelMetadata(['1', '2', '3']), name: 'm' });

function snapshot(...routes: RouteInit[]) {
  return create(RoutingSnapshotSchema, { revision: 7n, createdUnixMs: 1000n, routes });
}

function callFrom(tenant: string, headers: Record<string, string> = {}): CallContext {
  return {
    caller: { tenant, subject: `key:${tenant}`, scopes: ['infer:*'] },
    priority: 'realtime',
    images: 1,
    header: (name) => headers[name],
  };
}

/** Deterministic randoms (an LCG), so sampled splits reproduce. */
function seeded(seed = 42): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const canary = (weight: number, stickyKey = ''): RouteInit => ({
  model: 'm',
  deploymentRevision: 3n,
  stableVersion: '1',
  canaryVersion: '2',
  canaryWeightPercent: weight,
  stickyKey,
});

describe('RoutingTable', () => {
  it('routes a model without a route by identity', () => {
    const table = RoutingTable.from(snapshot(canary(50)), served);
    expect(table.decide('other', callFrom('t'))).toEqual({
      role: 'identity',
      version: '',
      revision: 7n,
      deploymentRevision: 0n,
      shadows: [],
    });
    expect(RoutingTable.IDENTITY.decide('m', callFrom('t')).role).toBe('identity');
  });

  it('splits calls without a sticky key by weight, within tolerance', () => {
    const table = RoutingTable.from(snapshot(canary(20)), served, seeded());
    let canaries = 0;
    for (let i = 0; i < 10_000; i += 1) {
      const decision = table.decide('m', callFrom('t'));
      expect(decision.deploymentRevision).toBe(3n);
      if (decision.role === 'canary') canaries += 1;
    }
    expect(canaries / 10_000).toBeGreaterThan(0.18);
    expect(canaries / 10_000).toBeLessThan(0.22);
  });

  it('splits sticky keys by weight, and keeps each key on one side', () => {
    const table = RoutingTable.from(snapshot(canary(30, 'header:X-Camera-Id')), served, () => {
      throw new Error('a sticky call needs no random point');
    });
    let canaries = 0;
    for (let i = 0; i < 5000; i += 1) {
      const call = callFrom('t', { 'x-camera-id': `camera-${i}` });
      const first = table.decide('m', call).version;
      expect(table.decide('m', call).version).toBe(first);
      if (first === '2') canaries += 1;
    }
    expect(canaries / 5000).toBeGreaterThan(0.27);
    expect(canaries / 5000).toBeLessThan(0.33);
  });

  it('only moves clients from stable to canary as the weight grows', () => {
    const keys = Array.from({ length: 2000 }, (_, i) => `tenant-${i}`);
    let previous = new Set<string>();
    for (const weight of [0, 5, 10, 25, 50, 75, 100]) {
      const table = RoutingTable.from(snapshot(canary(weight, 'tenant')), served);
      const onCanary = new Set(
        keys.filter((key) => table.decide('m', callFrom(key)).role === 'canary'),
      );
      for (const key of previous) expect(onCanary.has(key)).toBe(true);
      expect(onCanary.size).toBeGreaterThanOrEqual(previous.size);
      previous = onCanary;
    }
    expect(previous.size).toBe(keys.length);
  });

  it('gives a call without its sticky value a random point', () => {
    const table = RoutingTable.from(snapshot(canary(50, 'header:x-camera-id')), served, () => 0.9);
    expect(table.decide('m', callFrom('t')).role).toBe('stable');
    const low = RoutingTable.from(snapshot(canary(50, 'header:x-camera-id')), served, () => 0.1);
    expect(low.decide('m', callFrom('t')).role).toBe('canary');
  });

  it('hashes the model with the key, so one client is not on the canary of every model', () => {
    expect(stickyPoint('m', 'camera-1')).not.toBe(stickyPoint('n', 'camera-1'));
    expect(stickyPoint('m', 'camera-1')).toBe(stickyPoint('m', 'camera-1'));
  });

  it('puts a tenant override before the weights', () => {
    const table = RoutingTable.from(
      snapshot({ ...canary(100), tenantOverrides: [{ tenant: 'vip', version: '3' }] }),
      served,
    );
    expect(table.decide('m', callFrom('vip'))).toMatchObject({
      role: 'tenant-override',
      version: '3',
    });
    expect(table.decide('m', callFrom('other'))).toMatchObject({ role: 'canary', version: '2' });
  });

  it('samples each shadow by its percent, never the chosen version', () => {
    const table = RoutingTable.from(
      snapshot({
        ...canary(0),
        shadows: [
          { version: '3', samplePercent: 25 },
          { version: '1', samplePercent: 100 },
        ],
      }),
      served,
      seeded(7),
    );
    let sampled = 0;
    for (let i = 0; i < 4000; i += 1) {
      const decision = table.decide('m', callFrom('t'));
      expect(decision.version).toBe('1');
      expect(decision.shadows.every((shadow) => shadow.version === '3')).toBe(true);
      sampled += decision.shadows.length;
    }
    expect(sampled / 4000).toBeGreaterThan(0.22);
    expect(sampled / 4000).toBeLessThan(0.28);
  });

  it.each<[string, SnapshotInit, RegExp]>([
    ['a weight above 100', { revision: 1n, routes: [canary(101)] }, /canary_weight_percent is 101/],
    ['a negative weight', { revision: 1n, routes: [canary(-1)] }, /canary_weight_percent is -1/],
    [
      'a NaN weight',
      { revision: 1n, routes: [canary(Number.NaN)] },
      /canary_weight_percent is NaN/,
    ],
    [
      'a shadow percent above 100',
      { revision: 1n, routes: [{ ...canary(0), shadows: [{ version: '3', samplePercent: 150 }] }] },
      /shadows\[0\]\.sample_percent is 150/,
    ],
    ['a bad sticky key', { revision: 1n, routes: [canary(5, 'cookie')] }, /sticky_key 'cookie'/],
    [
      'an empty header name',
      { revision: 1n, routes: [canary(5, 'header:')] },
      /sticky_key 'header:'/,
    ],
    [
      'two routes of one model',
      { revision: 1n, routes: [canary(5), canary(6)] },
      /model 'm' has more than one route/,
    ],
    [
      'no stable version',
      { revision: 1n, routes: [{ model: 'm' }] },
      /route 'm': stable_version is empty/,
    ],
    [
      'a weight without a canary',
      { revision: 1n, routes: [{ model: 'm', stableVersion: '1', canaryWeightPercent: 10 }] },
      /no canary_version/,
    ],
    [
      'an unserved canary',
      { revision: 1n, routes: [{ ...canary(5), canaryVersion: '9' }] },
      /canary_version names version '9', which the backend does not serve/,
    ],
    [
      'an unserved shadow',
      { revision: 1n, routes: [{ ...canary(5), shadows: [{ version: '8', samplePercent: 1 }] }] },
      /shadows\[0\] names version '8'/,
    ],
    [
      'an unserved override',
      {
        revision: 1n,
        routes: [{ ...canary(5), tenantOverrides: [{ tenant: 'a', version: '7' }] }],
      },
      /tenant 'a' names version '7'/,
    ],
    [
      'an unserved model',
      { revision: 1n, routes: [{ ...canary(5), model: 'ghost' }] },
      /route 'ghost': stable_version names version '1'/,
    ],
    ['routes at revision 0', { revision: 0n, routes: [canary(5)] }, /revision 0 means no routing/],
  ])('rejects %s, naming the problem', (_, init, reason) => {
    const build = (): RoutingTable =>
      RoutingTable.from(create(RoutingSnapshotSchema, init), served);
    expect(build).toThrow(RoutingTableRejection);
    expect(build).toThrow(reason);
  });

  it('skips the served check when no backend is given (a persisted table at start)', () => {
    const table = RoutingTable.from(snapshot({ ...canary(5), canaryVersion: '9' }));
    expect(table.route('m')?.canaryVersion).toBe('9');
  });
});
