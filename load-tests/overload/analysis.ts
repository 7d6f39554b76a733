import { round, summarize } from '../lib/latency-stats';
import type { OpenLoopSample } from '../lib/open-loop';
import type { Outcome, Priority } from './detect-client';

export type Sample = OpenLoopSample<Outcome> & { priority: Priority };

export interface OutcomeCounts {
  total: number;
  ok: number;
  shed429: number;
  unavailable503: number;
  deadline504: number;
  otherStatus: Record<string, number>;
  hung: number;
  connectionErrors: number;
}

export interface PrioritySummary extends OutcomeCounts {
  okFraction: number;
  shedFraction: number;
  admittedP50Ms: number;
  admittedP99Ms: number;
  /** How long a refusal (429, 503, 504) took to arrive: a refusal should cost the caller little. */
  refusedP50Ms: number;
  refusedP99Ms: number;
}

export function countOutcomes(samples: readonly Sample[]): OutcomeCounts {
  const counts: OutcomeCounts = {
    total: samples.length,
    ok: 0,
    shed429: 0,
    unavailable503: 0,
    deadline504: 0,
    otherStatus: {},
    hung: 0,
    connectionErrors: 0,
  };
  for (const { outcome } of samples) {
    if (outcome === 200) counts.ok += 1;
    else if (outcome === 429) counts.shed429 += 1;
    else if (outcome === 503) counts.unavailable503 += 1;
    else if (outcome === 504) counts.deadline504 += 1;
    else if (outcome === 'hung') counts.hung += 1;
    else if (outcome === 'connection-error') counts.connectionErrors += 1;
    else counts.otherStatus[String(outcome)] = (counts.otherStatus[String(outcome)] ?? 0) + 1;
  }
  return counts;
}

const REFUSALS = new Set<Outcome>([429, 503, 504]);

export function summarizePriority(samples: readonly Sample[]): PrioritySummary {
  const counts = countOutcomes(samples);
  const admitted = summarize(samples.filter((s) => s.outcome === 200).map((s) => s.latencyMs));
  const refused = summarize(samples.filter((s) => REFUSALS.has(s.outcome)).map((s) => s.latencyMs));
  return {
    ...counts,
    okFraction: round(counts.ok / Math.max(1, counts.total), 3),
    shedFraction: round(counts.shed429 / Math.max(1, counts.total), 3),
    admittedP50Ms: round(admitted.p50Ms, 1),
    admittedP99Ms: round(admitted.p99Ms, 1),
    refusedP50Ms: round(refused.p50Ms, 1),
    refusedP99Ms: round(refused.p99Ms, 1),
  };
}

export interface SecondBucket {
  second: number;
  offered: number;
  ok: number;
  shed: number;
  expired: number;
  other: number;
  admittedP99Ms: number;
}

/** Outcomes by the second the request was sent in. */
export function perSecond(samples: readonly Sample[], durationS: number): SecondBucket[] {
  const buckets: SecondBucket[] = [];
  for (let second = 0; second < durationS; second += 1) {
    const inSecond = samples.filter((s) => Math.floor(s.sentAtMs / 1000) === second);
    const counts = countOutcomes(inSecond);
    const admitted = summarize(inSecond.filter((s) => s.outcome === 200).map((s) => s.latencyMs));
    buckets.push({
      second,
      offered: counts.total,
      ok: counts.ok,
      shed: counts.shed429,
      expired: counts.deadline504,
      other: counts.total - counts.ok - counts.shed429 - counts.deadline504,
      admittedP99Ms: round(admitted.p99Ms, 1),
    });
  }
  return buckets;
}
