/** A number in [0, 1), like Math.random; injected so that tests choose deterministically. */
export type RandomSource = () => number;

/** What choosing an endpoint needs to know about it. */
export interface SelectableEndpoint {
  /** Passed its last health check and has not failed with UNAVAILABLE since. */
  readonly healthy: boolean;
  /** Calls sent to it that have not finished yet. */
  readonly outstanding: number;
  /** Models its last health check found ready. */
  readonly readyModels: ReadonlySet<string>;
}

/** Endpoints that can serve `model` now: healthy, with the model ready. */
export function eligibleFor<E extends SelectableEndpoint>(
  endpoints: readonly E[],
  model: string,
): E[] {
  return endpoints.filter((endpoint) => endpoint.healthy && endpoint.readyModels.has(model));
}

/**
 * Power of two choices: two distinct candidates at random, the one with fewer outstanding calls
 * wins (the first drawn on a tie). Nearly as good as scanning for the least loaded, without every
 * gateway replica herding onto the same momentarily idle endpoint.
 */
export function pickPowerOfTwo<E extends SelectableEndpoint>(
  candidates: readonly E[],
  random: RandomSource,
): E | undefined {
  const count = candidates.length;
  if (count <= 1) return candidates[0];
  const first = draw(random, count);
  let second = draw(random, count - 1);
  if (second >= first) second += 1;
  const a = candidates[first];
  const b = candidates[second];
  return b.outstanding < a.outstanding ? b : a;
}

function draw(random: RandomSource, below: number): number {
  return Math.min(below - 1, Math.floor(random() * below));
}
