import type { Counter } from 'prom-client';
import type { StreamMetrics } from './stream-metrics';

/**
 * StreamMetrics as one source's FrameServing sees it: every frame outcome it counts (served,
 * failed, dropped) also goes to `count`. FrameServing counts each frame exactly once there, drops
 * never told in a result included (a long rate-limited run, frames let go on close), so a
 * source's counters add up to the frames it read.
 */
export function withFrameOutcomes(
  metrics: StreamMetrics,
  count: (outcome: string, value: number) => void,
): StreamMetrics {
  const real = metrics.frames;
  const frames = Object.create(real) as Counter<'outcome'>;
  // Every form of inc() passes on unchanged; FrameServing uses inc({ outcome }).
  frames.inc = (...args: unknown[]): void => {
    const [labels, value] = args;
    const outcome = labels !== null && typeof labels === 'object' && 'outcome' in labels;
    if (outcome && typeof labels.outcome === 'string') {
      count(labels.outcome, typeof value === 'number' ? value : 1);
    }
    Reflect.apply(real.inc, real, args);
  };
  return { ...metrics, frames };
}
