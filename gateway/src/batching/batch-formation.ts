/** The limits a batch is formed under (fixed settings, or adaptive mode's current ones). */
export interface FormationLimits {
  maxBatchSize: number;
  /** Ascending. */
  preferredBatchSizes: readonly number[];
  maxQueueDelayMs: number;
}

/** A queued request as batch formation sees it. */
export interface Candidate {
  /** Its batch dimension. */
  size: number;
  enqueuedAt: number;
  /** The caller's deadline (ms since the epoch), Infinity when none. */
  deadline: number;
}

/** Send the first `count` candidates now, or look again at `waitUntil`. */
export type Formation = { dispatch: number } | { waitUntil: number };

/**
 * Triton's dynamic batcher rule, for candidates that can share a batch, in rank order. Requests are
 * taken whole and in order (never split, never overtaken: a large request cannot starve), up to
 * maxBatchSize. The batch goes at once when it is full (or the next request does not fit), else when
 * it reaches a preferred size (the largest reachable), else once its oldest member has waited
 * maxQueueDelayMs. It also goes early when waiting longer would make a member miss its deadline
 * (its deadline minus the expected batch time, `serviceMs`). A first request larger than the limit
 * (adaptive mode lowers it below max_batch_size) goes alone.
 */
export function formBatch(
  candidates: readonly Candidate[],
  limits: FormationLimits,
  now: number,
  serviceMs: number,
): Formation {
  let total = 0;
  let count = 0;
  let preferredCount = 0;
  let oldest = Infinity;
  let earliestDeadline = Infinity;
  for (const candidate of candidates) {
    if (count > 0 && total + candidate.size > limits.maxBatchSize) break;
    total += candidate.size;
    count += 1;
    oldest = Math.min(oldest, candidate.enqueuedAt);
    earliestDeadline = Math.min(earliestDeadline, candidate.deadline);
    if (limits.preferredBatchSizes.includes(total)) preferredCount = count;
    if (total >= limits.maxBatchSize) break;
  }
  if (count === 0) return { waitUntil: Infinity };
  if (total >= limits.maxBatchSize || count < candidates.length) return { dispatch: count };
  if (preferredCount > 0) return { dispatch: preferredCount };
  const waitUntil = Math.min(oldest + limits.maxQueueDelayMs, earliestDeadline - serviceMs);
  return now >= waitUntil ? { dispatch: count } : { waitUntil };
}
