/**
 * The breaker phase of `npm run bench:overload`: a real Triton behind a gateway child, steady
 * closed-loop detect load, Triton SIGKILLed and later restarted. Reports when the endpoint's breaker
 * opened and closed (read from the gateway's /metrics every few milliseconds, not inferred from
 * timings), how fast requests failed while it was open, and when answers came back.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { startTritonServer, tritonPrerequisites } from '../../gateway/test/interop/triton-server';
import { startGatewayProcess } from '../detect-overhead/gateway-process';
import type { SampleImage } from '../detect-overhead/images';
import { benchAuthHeaders } from '../lib/bench-credentials';
import { round, summarize } from '../lib/latency-stats';
import { detectClient, type Outcome } from './detect-client';

export interface BreakerPhaseSettings {
  workers: number;
  /** Steady load before the kill, and after the breaker closed again. */
  steadyS: number;
  /** Triton stays dead this long after its breaker opened. */
  outageS: number;
  deadlineMs: number;
  hungAfterMs: number;
  pollMs: number;
  /** The gateway's breaker and health settings (its defaults unless overridden by env). */
  gatewayEnv: Record<string, string>;
}

export interface BreakerEvent {
  tS: number;
  what: string;
}

export interface BreakerPhaseResults {
  settings: BreakerPhaseSettings;
  /** Milliseconds from SIGKILL to the breaker reading open. */
  killToOpenMs: number;
  /** Milliseconds from the restarted Triton being ready to the breaker reading closed. */
  readyToClosedMs: number;
  /** Milliseconds from the restarted Triton being ready to the first 200 answer. */
  readyToFirstAnswerMs: number;
  tritonRestartMs: number;
  events: BreakerEvent[];
  /** Breaker state over time: 0 closed, 1 half-open, 2 open. */
  states: { tS: number; state: number }[];
  /** Requests that ended while Triton was down (kill → first answer after restart). */
  outage: { total: number; byOutcome: Record<string, number>; p50Ms: number; p99Ms: number };
  /** Every request: when it was sent, how long it took, how it ended. */
  requests: { tS: number; latencyMs: number; outcome: Outcome }[];
}

/** `gateway_breaker_state` of the Triton endpoint, or undefined before the series exists. */
async function breakerState(metricsUrl: string, headers: Record<string, string>) {
  const text = await (await fetch(metricsUrl, { headers })).text();
  const line = text.split('\n').find((l) => l.startsWith('gateway_breaker_state{backend="triton"'));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

export async function runBreakerPhase(
  settings: BreakerPhaseSettings,
  images: readonly SampleImage[],
): Promise<BreakerPhaseResults> {
  const missing = tritonPrerequisites();
  if (missing !== undefined) throw new Error(missing);
  const triton = await startTritonServer({ intraOpThreads: 1 });
  const gateway = await startGatewayProcess(1, {
    TRITON_GRPC_URLS: triton.grpcAddress,
    ...settings.gatewayEnv,
  });
  const headers = benchAuthHeaders();
  const client = detectClient(
    gateway.httpUrl,
    'nanodet',
    headers,
    settings.deadlineMs,
    settings.hungAfterMs,
  );
  const started = performance.now();
  const now = () => (performance.now() - started) / 1000;
  const events: BreakerEvent[] = [];
  const mark = (what: string) => {
    events.push({ tS: round(now(), 3), what });
    console.log(`  ${round(now(), 2)} s: ${what}`);
  };
  const requests: BreakerPhaseResults['requests'] = [];
  const states: BreakerPhaseResults['states'] = [];
  let running = true;
  let state: number | undefined;
  const poller = (async () => {
    const metricsUrl = `${gateway.httpUrl}/metrics`;
    while (running) {
      const read = await breakerState(metricsUrl, headers).catch(() => undefined);
      if (read !== undefined && read !== state) states.push({ tS: round(now(), 3), state: read });
      state = read ?? state;
      await sleep(settings.pollMs);
    }
  })();
  const workers = Array.from({ length: settings.workers }, async (_, worker) => {
    for (let sequence = worker; running; sequence += settings.workers) {
      const sentAt = now();
      const outcome = await client.detect(images[sequence % images.length], 'realtime');
      requests.push({
        tS: round(sentAt, 3),
        latencyMs: round((now() - sentAt) * 1000, 2),
        outcome,
      });
      if (outcome !== 200) await sleep(20); // a failing backend must not turn the loop into a spin
    }
  });
  const until = async (condition: () => boolean, what: string, withinS = 60) => {
    const limit = now() + withinS;
    while (!condition()) {
      if (now() > limit) throw new Error(`${what}: not within ${withinS} s`);
      await sleep(5);
    }
  };
  try {
    await until(() => state === 0, 'breaker series closed');
    mark('load running, breaker closed');
    await sleep(settings.steadyS * 1000);
    const killAt = now();
    await triton.kill();
    mark('Triton SIGKILLed');
    await until(() => state === 2, 'breaker open after the kill', 30);
    const openAt = now();
    mark('breaker open');
    await sleep(settings.outageS * 1000);
    const restartAt = now();
    mark('Triton restarting');
    await triton.restart();
    const readyAt = now();
    mark('Triton ready again');
    await until(() => state === 0, 'breaker closed after the restart', 60);
    const closedAt = now();
    mark('breaker closed');
    await until(
      () => requests.some((r) => r.outcome === 200 && r.tS >= readyAt),
      'an answer after the restart',
    );
    const firstAnswer = requests.find((r) => r.outcome === 200 && r.tS >= readyAt);
    const firstAnswerAt = firstAnswer ? firstAnswer.tS + firstAnswer.latencyMs / 1000 : readyAt;
    await sleep(settings.steadyS * 1000);
    running = false;
    await Promise.all([...workers, poller]);
    mark('load stopped');
    const inOutage = requests.filter(
      (r) => r.tS + r.latencyMs / 1000 >= killAt && r.tS <= firstAnswerAt,
    );
    const byOutcome: Record<string, number> = {};
    for (const r of inOutage)
      byOutcome[String(r.outcome)] = (byOutcome[String(r.outcome)] ?? 0) + 1;
    const outageLatency = summarize(inOutage.map((r) => r.latencyMs));
    return {
      settings,
      killToOpenMs: round((openAt - killAt) * 1000, 1),
      readyToClosedMs: round((closedAt - readyAt) * 1000, 1),
      readyToFirstAnswerMs: round((firstAnswerAt - readyAt) * 1000, 1),
      tritonRestartMs: round((readyAt - restartAt) * 1000, 1),
      events,
      states,
      outage: {
        total: inOutage.length,
        byOutcome,
        p50Ms: round(outageLatency.p50Ms, 1),
        p99Ms: round(outageLatency.p99Ms, 1),
      },
      requests,
    };
  } finally {
    running = false;
    client.close();
    await gateway.stop();
    await triton.stop();
  }
}
