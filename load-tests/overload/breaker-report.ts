import { join } from 'node:path';
import { plotLines } from '../lib/plot';
import type { BreakerPhaseResults } from './breaker-phase';

const BUCKET_S = 0.25;

/** Answers and failures per quarter second, by when the request ended. */
function buckets(results: BreakerPhaseResults) {
  const end = Math.max(...results.requests.map((r) => r.tS + r.latencyMs / 1000));
  const count = Math.ceil(end / BUCKET_S);
  const ok = new Array<number>(count).fill(0);
  const failed = new Array<number>(count).fill(0);
  for (const r of results.requests) {
    const index = Math.min(count - 1, Math.floor((r.tS + r.latencyMs / 1000) / BUCKET_S));
    if (r.outcome === 200) ok[index] += 1;
    else failed[index] += 1;
  }
  const x = ok.map((_, index) => index * BUCKET_S);
  return { x, ok, failed };
}

/** The breaker section of overload.md; also draws overload-breaker.png next to it. */
export function renderBreakerSection(results: BreakerPhaseResults, resultsDir: string): string[] {
  const { x, ok, failed } = buckets(results);
  const marks = results.events
    .filter((event) => event.what !== 'load stopped')
    .map((event) => ({ x: event.tS, label: event.what }));
  const stateSeries = results.states.map((point) => point.tS);
  plotLines(
    join(resultsDir, 'overload-breaker.png'),
    'Triton killed and restarted under detect load',
    [
      {
        title: `requests ended per ${BUCKET_S * 1000} ms`,
        xlabel: 'seconds',
        ylabel: 'requests',
        series: [
          { label: 'answered (200)', x, y: ok, style: 'step' },
          { label: 'failed (503 …)', x, y: failed, style: 'step' },
        ],
        marks,
      },
      {
        title: 'breaker state of the Triton endpoint (0 closed, 1 half-open, 2 open)',
        xlabel: 'seconds',
        ylabel: 'state',
        series: [
          {
            label: 'gateway_breaker_state',
            x: [...stateSeries, x[x.length - 1]],
            y: [...results.states.map((p) => p.state), results.states.at(-1)?.state ?? 0],
            style: 'step',
          },
        ],
        marks,
      },
      {
        title: 'latency of each request, by when it was sent',
        xlabel: 'seconds',
        ylabel: 'ms',
        logy: true,
        series: [
          {
            label: 'request',
            x: results.requests.map((r) => r.tS),
            y: results.requests.map((r) => Math.max(0.1, r.latencyMs)),
            style: 'points',
          },
        ],
        marks,
      },
    ],
  );
  const { settings, outage } = results;
  return [
    '## Backend killed and restarted: breaker open and close times',
    '',
    `A real Triton (\`nanodet\`, Python backend on ONNX Runtime) behind a gateway child on its default ` +
      `breaker and health settings; ${settings.workers} closed-loop workers send real-time detect ` +
      `requests (\`X-Request-Timeout: ${settings.deadlineMs}\`). After ${settings.steadyS} s Triton ` +
      `is SIGKILLed; ${settings.outageS} s after its breaker opened it is restarted on the same ports. ` +
      `The breaker state is read from the gateway's \`/metrics\` every ${settings.pollMs} ms.`,
    '',
    '| from | to | ms |',
    '| --- | --- | ---: |',
    `| SIGKILL | breaker open | ${results.killToOpenMs} |`,
    `| restart begun | Triton ready (its own start-up) | ${results.tritonRestartMs} |`,
    `| Triton ready | breaker closed | ${results.readyToClosedMs} |`,
    `| Triton ready | first 200 | ${results.readyToFirstAnswerMs} |`,
    '',
    `While Triton was down (kill → first answer after the restart) ${outage.total} requests ended: ` +
      `${Object.entries(outage.byOutcome)
        .map(([outcome, n]) => `${n} × ${outcome}`)
        .join(', ')}; their latency p50 ${outage.p50Ms} ms, p99 ${outage.p99Ms} ms ` +
      '(an open breaker answers at once instead of waiting for a timeout).',
    '',
    '![breaker](overload-breaker.png)',
    '',
  ];
}
