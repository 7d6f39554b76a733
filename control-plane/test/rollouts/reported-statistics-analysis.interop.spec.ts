/**
 * Canary analysis with no Prometheus: the embedded default (control plane on PGlite, a gateway
 * following it), judged from the call statistics the gateway reports on its routing stream
 * (control-plane/src/canary-analysis/gateway-statistics.*). The canary whose boxes are shifted is
 * rolled back on quality, the faithful copy of stable is promoted — the same verdicts the
 * Prometheus-backed acceptance spec (rollouts.interop.spec.ts) reaches through PromQL.
 */
import { analyse, ANALYSIS_BOUND_MS, graphql } from './rollout-client';
import { NANODET_VERSIONS, RolloutFleet } from './rollout-fleet';

describe('canary analysis from the gateway-reported statistics (no Prometheus)', () => {
  let fleet: RolloutFleet;
  beforeAll(async () => {
    fleet = await RolloutFleet.start({ shared: false, replicas: 1 });
  }, 240_000);
  afterAll(async () => {
    await fleet?.close();
  }, 60_000);

  it(
    'rolls back the shifted canary on detection agreement',
    async () => {
      const analysis = await analyse(fleet, NANODET_VERSIONS.shifted);
      expect(analysis.state).toBe('rolled_back');
      expect(analysis.outcomeReason).toMatch(/agreement_f1 0\.\d+ < 0\.90/);
    },
    ANALYSIS_BOUND_MS + 30_000,
  );

  it(
    'promotes the faithful copy of stable',
    async () => {
      const analysis = await analyse(fleet, NANODET_VERSIONS.faithful);
      // The reason travels with the state: a wrong verdict says what was measured.
      expect(`${analysis.state}: ${analysis.outcomeReason}`).toMatch(/^promoted: /);
      const data = await graphql<{ deployment: { activeRevision: { stableVersion: string } } }>(
        fleet,
        '{ deployment(model: "nanodet") { activeRevision { stableVersion } } }',
      );
      expect(data.deployment.activeRevision.stableVersion).toBe(NANODET_VERSIONS.faithful);
    },
    ANALYSIS_BOUND_MS + 30_000,
  );
});
