/**
 * Rollouts with everything real (issue 13's acceptance): a Postgres schema, a Redis server, the
 * control plane, three gateway replicas following its routing revisions over WatchRoutes, a real
 * Prometheus scraping the three (the canary analysis' PromQL source), NanoDet with four canaries
 * built from it by triton-models/nanodet/canaries/build-canaries.py, and a tiny `echo` model for
 * the routing measures that need thousands of calls.
 */
import { missingPrerequisite } from '@test-support';
import { authHeaders } from '../../../gateway/test/test-gateway';
import { prometheusPrerequisite } from '../support/prometheus-server';
import {
  allReplicasOn,
  analyse,
  ANALYSIS_BOUND_MS,
  detect,
  echo,
  graphql,
  IMAGES,
  setDeployment,
  until,
} from './rollout-client';
import { ECHO_VERSIONS, NANODET_VERSIONS, RolloutFleet } from './rollout-fleet';

const postgresUrl = process.env.DATABASE_URL_TEST || undefined;

/** Runs `calls` calls of `call` over `concurrency` workers; returns what each answered. */
async function spread<T>(
  calls: number,
  concurrency: number,
  call: (index: number) => Promise<T>,
): Promise<T[]> {
  const answers: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < calls) {
        const index = next;
        next += 1;
        answers[index] = await call(index);
      }
    }),
  );
  return answers;
}

describe('rollouts: three replicas, the control plane, Prometheus, canaries built from NanoDet', () => {
  const missing =
    postgresUrl === undefined
      ? 'DATABASE_URL_TEST is not set (scripts/test.sh starts a Postgres)'
      : prometheusPrerequisite();
  if (missingPrerequisite('a Postgres server and Prometheus', missing) || postgresUrl === undefined)
    return;

  let fleet: RolloutFleet;
  beforeAll(async () => {
    fleet = await RolloutFleet.start({ postgresUrl });
  }, 240_000);
  afterAll(async () => {
    await fleet?.close();
  }, 60_000);

  it('canary at 10%: the split measured over 5,000 calls through three replicas is within ±2 points', async () => {
    const revision = await setDeployment(fleet, {
      model: 'echo',
      stableVersion: '1',
      canary: { version: '2', weightPercent: 10 },
    });
    await allReplicasOn(fleet, revision);
    const versions = await spread(5000, 12, (index) => echo(fleet, index % 3));
    const canaryShare = versions.filter((version) => version === '2').length / versions.length;
    console.log(`canary share over ${versions.length} calls: ${(canaryShare * 100).toFixed(2)}%`);
    expect(new Set(versions)).toEqual(new Set(['1', '2']));
    expect(Math.abs(canaryShare - 0.1)).toBeLessThanOrEqual(0.02);
    // An explicit version bypasses routing.
    expect(await fetchPinned(fleet)).toBe('3');
  }, 180_000);

  it('a sticky key keeps each client on one version, on every replica', async () => {
    const revision = await setDeployment(fleet, {
      model: 'echo',
      stableVersion: '1',
      canary: { version: '2', weightPercent: 50 },
      stickyKey: 'header:x-camera-id',
    });
    await allReplicasOn(fleet, revision);
    const byCamera = new Map<string, Set<string>>();
    for (let camera = 0; camera < 40; camera += 1) {
      const id = `camera-${camera}`;
      const versions = await spread(9, 3, (index) => echo(fleet, index % 3, { 'x-camera-id': id }));
      byCamera.set(id, new Set(versions));
    }
    for (const [id, versions] of byCamera) expect([id, versions.size]).toEqual([id, 1]);
    const chosen = [...byCamera.values()].map((versions) => [...versions][0]);
    expect(new Set(chosen)).toEqual(new Set(['1', '2']));
  }, 120_000);

  it('a shadow at 100% changes no answer, and its answers are compared', async () => {
    const revision = await setDeployment(fleet, {
      model: 'nanodet',
      stableVersion: NANODET_VERSIONS.stable,
      shadows: [{ version: NANODET_VERSIONS.scrambled, samplePercent: 100 }],
    });
    await allReplicasOn(fleet, revision);
    for (const [index, image] of IMAGES.entries()) {
      const pinned = await detect(fleet, index % 3, image, NANODET_VERSIONS.stable);
      const routed = await detect(fleet, (index + 1) % 3, image);
      expect(routed.version).toBe(NANODET_VERSIONS.stable);
      expect(routed.detections).toEqual(pinned.detections);
    }
    const compared = await until(
      async () => {
        let total = 0;
        for (const gateway of fleet.gateways) {
          const text = await (await fetch(`${gateway.httpUrl}/metrics`)).text();
          const match = text.match(
            /gateway_shadow_calls_total\{model="nanodet",primary_version="1",shadow_version="4",outcome="compared"\} (\d+)/,
          );
          total += Number(match?.[1] ?? 0);
        }
        return total > 0 ? total : undefined;
      },
      { timeoutMs: 10_000, what: 'shadow comparisons counted' },
    );
    expect(compared).toBeGreaterThan(0);
  }, 120_000);

  const verdicts = [
    { canary: NANODET_VERSIONS.shifted, state: 'ROLLED_BACK', check: /agreement_f1/ },
    { canary: NANODET_VERSIONS.scrambled, state: 'ROLLED_BACK', check: /agreement_f1|score_psi/ },
    { canary: NANODET_VERSIONS.slow, state: 'ROLLED_BACK', check: /p99_latency_ms/ },
    { canary: NANODET_VERSIONS.faithful, state: 'PROMOTED', check: /./ },
  ];
  for (const { canary, state, check } of verdicts) {
    it(
      `canary analysis of nanodet version ${canary}: ${state.toLowerCase()}`,
      async () => {
        const analysis = await analyse(fleet, canary);
        console.log(
          `version ${canary}: ${analysis.state} — ${analysis.outcomeReason}\n` +
            analysis.decisions.nodes
              .map(
                (decision) =>
                  `  ${decision.action} ${decision.canaryWeightPercent}%: ${decision.reason}`,
              )
              .join('\n'),
        );
        expect(analysis.state.toUpperCase()).toBe(state);
        if (state === 'ROLLED_BACK') expect(analysis.outcomeReason).toMatch(check);
        const active = await graphql<{
          deployment: {
            activeRevision: { stableVersion: string; canary: { version: string } | null };
          };
        }>(
          fleet,
          '{ deployment(model: "nanodet") { activeRevision { stableVersion canary { version } } } }',
        );
        expect(active.deployment.activeRevision).toEqual(
          state === 'PROMOTED'
            ? { stableVersion: canary, canary: null }
            : { stableVersion: NANODET_VERSIONS.stable, canary: null },
        );
        if (state === 'PROMOTED') {
          // Back to the real model for whatever runs next.
          await setDeployment(fleet, { model: 'nanodet', stableVersion: NANODET_VERSIONS.stable });
        }
      },
      ANALYSIS_BOUND_MS + 30_000,
    );
  }

  it('with the control plane down the replicas route by their last table, a restarted one by its persisted table; they resynchronise when it returns', async () => {
    // Identity routing would answer with the newest version (3); the table says 1.
    const revision = await setDeployment(fleet, { model: 'echo', stableVersion: '1' });
    await allReplicasOn(fleet, revision);
    await fleet.killControlPlane();
    for (let index = 0; index < 30; index += 1) expect(await echo(fleet, index % 3)).toBe('1');
    const restarted = await fleet.restartGateway(0);
    expect((await fetch(`${restarted.httpUrl}/readyz`)).status).toBe(200);
    for (let index = 0; index < 10; index += 1) expect(await echo(fleet, 0)).toBe('1');

    await fleet.startControlPlane();
    const next = await setDeployment(fleet, { model: 'echo', stableVersion: ECHO_VERSIONS[1] });
    await allReplicasOn(fleet, next);
    for (let index = 0; index < 30; index += 1) expect(await echo(fleet, index % 3)).toBe('2');
  }, 180_000);
});

/** A call that names version 3 explicitly: answered by 3 whatever the weights. */
async function fetchPinned(fleet: RolloutFleet): Promise<string> {
  const response = await fetch(`${fleet.gateways[1].httpUrl}/v2/models/echo/versions/3/infer`, {
    method: 'POST',
    headers: { ...authHeaders(), 'content-type': 'application/json' },
    body: JSON.stringify({
      inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }],
    }),
  });
  return ((await response.json()) as { model_version: string }).model_version;
}
