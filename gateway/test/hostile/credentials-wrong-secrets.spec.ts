/**
 * Issue 10, finding 8: key ids are not secret, and a wrong secret for a known id used to cost one
 * scrypt (~44 ms of CPU in libuv's threadpool) every time, so ~50 guesses a second saturated both
 * cores and starved sharp/zlib/fs. Each test sends ~50 wrong secrets a second for a known id (HTTP
 * and gRPC) to a real gateway in a child process and measures what it cost: the gateway's CPU
 * seconds against a baseline of as many cheap 401s (unknown ids) in the same run, the event loop,
 * and the owner's calls made meanwhile, which must keep succeeding promptly, whether or not the
 * owner's key is in the verification cache.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { status } from '@grpc/grpc-js';
import { verifySecret, hashSecret } from '@auth';
import { cpuSeconds } from '@test-support';
import { scrapeMetric } from '../prometheus-text';
import { createApiKey, TEST_API_KEY } from '../test-gateway';
import { describeCost, expectCheap, measureCost, startMeteredGateway } from './cost-meter';
import type { Cost, CostBounds, MeteredGateway } from './cost-meter';
import {
  grpcGuesser,
  httpGuesser,
  keyIdOf,
  openLoop,
  tally,
  unknownKey,
  wrongSecretFor,
  type GuessAnswer,
} from './credential-attack';

jest.setTimeout(180_000);

// Guess answers carry HTTP statuses or gRPC codes, as plain numbers.
const UNAUTHENTICATED: number = status.UNAUTHENTICATED;
const RESOURCE_EXHAUSTED: number = status.RESOURCE_EXHAUSTED;

const RATE_PER_S = 50;
const DURATION_MS = 4000;
const ATTEMPTS = (RATE_PER_S * DURATION_MS) / 1000;
/** GATEWAY_API_KEY_FAILURES_PER_KEY's default. */
const FAILURES_PER_KEY = 10;

/** CPU seconds one scrypt verification costs on this machine, measured here, now. */
async function scryptCpuSeconds(): Promise<number> {
  const stored = await hashSecret('calibration');
  const runs = 5;
  const before = process.cpuUsage();
  for (let run = 0; run < runs; run += 1) await verifySecret('wrong', stored);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6 / runs;
}

/** Runs `action` inside measureCost and also reads the gateway's CPU seconds around it. */
async function meteredRun<T>(gateway: MeteredGateway, action: () => Promise<T>) {
  const { cost, result } = await measureCost(gateway, async () => {
    const before = cpuSeconds(gateway.pid);
    const answers = await action();
    return { answers, cpuS: cpuSeconds(gateway.pid) - before };
  });
  return { cost, answers: result.answers, cpuS: result.cpuS };
}

/**
 * Bounds for the attack from the baseline run just before it (cheap 401s at the same rate): the
 * issue's 100 ms of blocking (cost-meter's default) and a 2 s probe, or three times the baseline's
 * slowest probe. Broken, the attack made detects wait 13-20 s and cost 8 s of CPU.
 */
function boundsAfter(baseline: Cost): CostBounds {
  return { probeMaxMs: Math.max(2000, 3 * Math.max(...baseline.probeMs)) };
}

/** Logs what the attack and its baseline cost, for the report and for failures. */
function report(
  what: string,
  baseline: { cost: Cost; cpuS: number },
  attack: { cost: Cost; cpuS: number; answers: GuessAnswer[] },
): void {
  console.log(
    `${what}: ${describeCost(attack.cost)}, CPU ${attack.cpuS.toFixed(2)} s, answers ${JSON.stringify(tally(attack.answers))}\n` +
      `baseline (unknown ids): ${describeCost(baseline.cost)}, CPU ${baseline.cpuS.toFixed(2)} s`,
  );
}

/** Calls `call` one after another until stopped: the owner using its key during an attack. */
function ownerLoop(call: () => Promise<GuessAnswer>) {
  let running = true;
  const results: { status: number; ms: number }[] = [];
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      const answer = await call();
      results.push({ status: answer.status, ms: performance.now() - started });
      await sleep(50);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return results;
    },
  };
}

function expectOnlyRefusals(answers: GuessAnswer[], allowed: number[], what: string): void {
  const unexpected = answers.filter((answer) => !allowed.includes(answer.status));
  if (unexpected.length > 0) {
    throw new Error(
      `${what}: answers ${JSON.stringify(tally(answers))}, e.g. ${JSON.stringify(unexpected[0])}`,
    );
  }
}

describe('hostile credentials: wrong secrets for a known key id', () => {
  let scryptCpuS: number;

  beforeAll(async () => {
    scryptCpuS = await scryptCpuSeconds();
  });

  /**
   * The attack's extra CPU over the baseline must stay far below what one scrypt per guess costs
   * (the broken behaviour): a fifth of it, although the fix pays about a twentieth.
   */
  function expectCpuBounded(attackS: number, baselineS: number): void {
    // Logged for the report: what the attack cost beyond as many cheap 401s.
    const brokenS = ATTEMPTS * scryptCpuS;
    const extraS = attackS - baselineS;
    const reading = `attack ${attackS.toFixed(2)} s CPU, baseline ${baselineS.toFixed(2)} s, one scrypt per guess would add ${brokenS.toFixed(2)} s`;
    console.log(`wrong secrets: ${reading}`);
    if (extraS > brokenS / 5) throw new Error(`the wrong secrets cost too much CPU: ${reading}`);
  }

  describe('a gateway with default settings', () => {
    let gateway: MeteredGateway;

    beforeAll(async () => {
      gateway = await startMeteredGateway();
    });
    afterAll(() => gateway?.kill());

    it('HTTP: wrong secrets for the owner key id are refused without scrypt; the owner is served', async () => {
      const guesser = httpGuesser(gateway.httpUrl);
      try {
        const baseline = await meteredRun(gateway, () =>
          openLoop(RATE_PER_S, DURATION_MS, () => guesser.guess(unknownKey())),
        );
        expectOnlyRefusals(baseline.answers, [401], 'unknown ids');
        const attack = await meteredRun(gateway, () =>
          openLoop(RATE_PER_S, DURATION_MS, () =>
            guesser.guess(wrongSecretFor(keyIdOf(TEST_API_KEY))),
          ),
        );
        report('HTTP wrong secrets', baseline, attack);
        expectCpuBounded(attack.cpuS, baseline.cpuS);
        expectCheap(attack.cost, boundsAfter(baseline.cost), 'wrong secrets over HTTP');
        expectOnlyRefusals(attack.answers, [401, 429], 'wrong secrets');
        // Each 401 paid one scrypt; past the per-key limit, 429 without one.
        expect(attack.answers.filter((answer) => answer.status === 401).length).toBeLessThanOrEqual(
          FAILURES_PER_KEY,
        );
        const refused = attack.answers.filter((answer) => answer.status === 429);
        expect(refused.length).toBeGreaterThan(ATTEMPTS / 2);
        expect(refused.every((answer) => (answer.retryAfterS ?? 0) >= 1)).toBe(true);
        // /v2 answers the KServe error shape.
        expect(JSON.parse(refused[0].message)).toEqual({
          error: expect.stringMatching(
            /^too many wrong secrets for API key 'TestGateway1' \(10 in 60 s\); try again in \d+ s$/,
          ),
        });
        expect(
          await scrapeMetric(gateway, 'gateway_api_key_hash_checks_total', { result: 'mismatch' }),
        ).toBeLessThanOrEqual(FAILURES_PER_KEY);
        expect(
          await scrapeMetric(gateway, 'gateway_auth_failures_total', {
            credential: 'api_key',
            reason: 'key_failure_limit',
          }),
        ).toBe(refused.length);
      } finally {
        guesser.close();
      }
    });

    it('gRPC: the same for another key, while its owner keeps calling', async () => {
      const owner = await createApiKey(gateway.httpUrl, { tenant: 'owner', scopes: ['infer:*'] });
      const grpc = grpcGuesser(gateway.grpcAddress);
      try {
        // The owner has used its key before the attack starts (this replica has verified it once).
        expect((await grpc.guess(owner.key)).status).toBe(status.OK);
        const baseline = await meteredRun(gateway, () =>
          openLoop(RATE_PER_S, DURATION_MS, () => grpc.guess(unknownKey())),
        );
        expectOnlyRefusals(baseline.answers, [status.UNAUTHENTICATED], 'unknown ids');
        const ownerCalls = ownerLoop(() => grpc.guess(owner.key));
        const attack = await meteredRun(gateway, () =>
          openLoop(RATE_PER_S, DURATION_MS, () => grpc.guess(wrongSecretFor(owner.id))),
        );
        const ownerResults = await ownerCalls.stop();
        report('gRPC wrong secrets', baseline, attack);
        expectCpuBounded(attack.cpuS, baseline.cpuS);
        expectCheap(attack.cost, boundsAfter(baseline.cost), 'wrong secrets over gRPC');
        expectOnlyRefusals(
          attack.answers,
          [status.UNAUTHENTICATED, status.RESOURCE_EXHAUSTED],
          'wrong secrets',
        );
        const checked = attack.answers.filter((answer) => answer.status === UNAUTHENTICATED);
        expect(checked.length).toBeLessThanOrEqual(FAILURES_PER_KEY);
        const refused = attack.answers.filter((answer) => answer.status === RESOURCE_EXHAUSTED);
        expect(refused.every((answer) => (answer.retryAfterS ?? 0) > 0)).toBe(true);
        expect(ownerResults.map((result) => result.status)).toEqual(
          ownerResults.map(() => status.OK),
        );
        expect(Math.max(...ownerResults.map((result) => result.ms))).toBeLessThan(
          boundsAfter(baseline.cost).probeMaxMs ?? 0,
        );
      } finally {
        grpc.close();
      }
    });
  });

  describe('a fresh gateway whose verification cache is off (GATEWAY_API_KEY_CACHE_TTL_MS=0)', () => {
    let gateway: MeteredGateway;

    beforeAll(async () => {
      gateway = await startMeteredGateway({ GATEWAY_API_KEY_CACHE_TTL_MS: '0' });
    });
    afterAll(() => gateway?.kill());

    it('the owner, never served from the cache, keeps being served promptly over HTTP and gRPC', async () => {
      const guesser = httpGuesser(gateway.httpUrl);
      const grpc = grpcGuesser(gateway.grpcAddress);
      try {
        const baseline = await meteredRun(gateway, () =>
          openLoop(RATE_PER_S, DURATION_MS, () => guesser.guess(unknownKey())),
        );
        const ownerCalls = ownerLoop(() => grpc.guess(TEST_API_KEY));
        const attack = await meteredRun(gateway, () =>
          openLoop(RATE_PER_S, DURATION_MS, () =>
            guesser.guess(wrongSecretFor(keyIdOf(TEST_API_KEY))),
          ),
        );
        const ownerResults = await ownerCalls.stop();
        report('uncached owner', baseline, attack);
        // The probes (normal detects with TEST_API_KEY over HTTP) are the owner too.
        expectCpuBounded(attack.cpuS, baseline.cpuS);
        expectCheap(attack.cost, boundsAfter(baseline.cost), 'wrong secrets with the cache off');
        expectOnlyRefusals(attack.answers, [401, 429], 'wrong secrets');
        expect(ownerResults.map((result) => result.status)).toEqual(
          ownerResults.map(() => status.OK),
        );
        expect(Math.max(...ownerResults.map((result) => result.ms))).toBeLessThan(
          boundsAfter(baseline.cost).probeMaxMs ?? 0,
        );
      } finally {
        guesser.close();
        grpc.close();
      }
    });
  });

  describe('failure limits per key id and per peer (a 2 s window)', () => {
    let gateway: MeteredGateway;

    beforeAll(async () => {
      gateway = await startMeteredGateway({ GATEWAY_API_KEY_FAILURE_WINDOW_S: '2' });
    });
    afterAll(() => gateway?.kill());

    it("a key first used while another address guesses its secrets is served: the owner's address is clean", async () => {
      const fresh = await createApiKey(gateway.httpUrl, { tenant: 'new', scopes: ['infer:*'] });
      const attacker = httpGuesser(gateway.httpUrl, '127.0.0.2');
      const owner = httpGuesser(gateway.httpUrl, '127.0.0.1');
      try {
        const guesses = openLoop(RATE_PER_S, 1500, () => attacker.guess(wrongSecretFor(fresh.id)));
        await sleep(1000);
        // By now the key id is over its limit, and this replica has never seen the owner's secret.
        const first = await owner.guess(fresh.key);
        const answers = await guesses;
        expect(tally(answers)['429']).toBeGreaterThan(0);
        expect(first).toMatchObject({ status: 200 });
      } finally {
        attacker.close();
        owner.close();
      }
    });

    it('the limits expire: after the window a wrong secret is checked (401) again', async () => {
      const target = await createApiKey(gateway.httpUrl, { tenant: 'expiry', scopes: ['infer:*'] });
      const attacker = httpGuesser(gateway.httpUrl, '127.0.0.3');
      try {
        const answers: GuessAnswer[] = [];
        for (let attempt = 0; attempt <= FAILURES_PER_KEY; attempt += 1) {
          answers.push(await attacker.guess(wrongSecretFor(target.id)));
        }
        expect(answers.slice(0, FAILURES_PER_KEY).map((answer) => answer.status)).toEqual(
          Array(FAILURES_PER_KEY).fill(401),
        );
        const limited = answers[FAILURES_PER_KEY];
        expect(limited.status).toBe(429);
        expect(limited.retryAfterS).toBeGreaterThanOrEqual(1);
        expect(limited.retryAfterS).toBeLessThanOrEqual(2);
        await sleep((limited.retryAfterS ?? 2) * 1000 + 100);
        expect((await attacker.guess(wrongSecretFor(target.id))).status).toBe(401);
        // The address too: its own limit (30 failures) was never reached, and its count is gone.
        expect((await attacker.guess(wrongSecretFor(keyIdOf(TEST_API_KEY)))).status).toBe(401);
      } finally {
        attacker.close();
      }
    });
  });

  describe('bounded concurrent verifications (failure limits out of the way)', () => {
    let gateway: MeteredGateway;

    beforeAll(async () => {
      gateway = await startMeteredGateway({
        GATEWAY_API_KEY_FAILURES_PER_KEY: '100000',
        GATEWAY_API_KEY_FAILURES_PER_PEER: '100000',
        GATEWAY_API_KEY_CHECK_QUEUE: '4',
      });
    });
    afterAll(() => gateway?.kill());

    it('runs one scrypt at a time, refuses beyond a short queue with 503 + Retry-After, and detects stay prompt', async () => {
      const guesser = httpGuesser(gateway.httpUrl);
      try {
        const baseline = await meteredRun(gateway, () =>
          openLoop(RATE_PER_S, DURATION_MS, () => guesser.guess(unknownKey())),
        );
        const attack = await meteredRun(gateway, () =>
          openLoop(RATE_PER_S, DURATION_MS, () =>
            guesser.guess(wrongSecretFor(keyIdOf(TEST_API_KEY))),
          ),
        );
        report('unlimited wrong secrets', baseline, attack);
        expectCheap(
          attack.cost,
          boundsAfter(baseline.cost),
          'wrong secrets past the failure limits',
        );
        expectOnlyRefusals(attack.answers, [401, 503], 'wrong secrets');
        const busy = attack.answers.filter((answer) => answer.status === 503);
        expect(busy.length).toBeGreaterThan(0);
        expect(busy.every((answer) => (answer.retryAfterS ?? 0) >= 1)).toBe(true);
      } finally {
        guesser.close();
      }
    });
  });
});
