import { Counter, Registry } from 'prom-client';
import type { DurationStatistic, InferStatistics } from '../request-path/model-statistics';
import type { ModelStatisticsRecorder, TalliedVersion } from './model-statistics.recorder';
import { FAILURE_REASONS } from './version-tally';

/** Triton's latency counters: name, help, and the statistic each is read from. */
const DURATIONS: readonly [string, string, keyof InferStatistics][] = [
  [
    'nv_inference_request_duration_us',
    'Cumulative inference request duration in microseconds',
    'success',
  ],
  [
    'nv_inference_queue_duration_us',
    'Cumulative inference queuing duration in microseconds',
    'queue',
  ],
  [
    'nv_inference_compute_input_duration_us',
    'Cumulative compute input duration in microseconds',
    'computeInput',
  ],
  [
    'nv_inference_compute_infer_duration_us',
    'Cumulative compute inference duration in microseconds',
    'computeInfer',
  ],
  [
    'nv_inference_compute_output_duration_us',
    'Cumulative inference compute output duration in microseconds',
    'computeOutput',
  ],
];

/**
 * Triton's per-model Prometheus series (names, `model`/`version` labels, microsecond counters), read
 * from the statistics recorder at each scrape, so Triton's dashboards work against the gateway. In
 * a registry of their own, served at /metrics/triton: Triton's names break Prometheus' naming rules
 * (`_us` units, counters without `_total`, `nv_inference_count`), which /metrics keeps.
 */
export function tritonCompatibleRegistry(recorder: ModelStatisticsRecorder): Registry {
  const registry = new Registry();
  const counter = (
    name: string,
    help: string,
    read: (version: TalliedVersion) => number,
  ): Counter<'model' | 'version'> =>
    new Counter({
      name,
      help,
      labelNames: ['model', 'version'],
      registers: [registry],
      collect() {
        this.reset();
        for (const tallied of recorder.tallied()) {
          this.inc({ model: tallied.model, version: tallied.version }, read(tallied));
        }
      },
    });

  counter(
    'nv_inference_request_success',
    'Number of successful inference requests, all batch sizes',
    ({ tally }) => tally.inference.success.count,
  );
  new Counter({
    name: 'nv_inference_request_failure',
    help: 'Number of failed inference requests, all batch sizes',
    labelNames: ['model', 'reason', 'version'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { model, version, tally } of recorder.tallied()) {
        for (const reason of FAILURE_REASONS) {
          this.inc({ model, reason, version }, tally.failures.get(reason) ?? 0);
        }
      }
    },
  });
  counter(
    'nv_inference_count',
    'Number of inferences performed (does not include cached requests)',
    ({ tally }) => tally.inferenceCount,
  );
  counter(
    'nv_inference_exec_count',
    'Number of model executions performed (does not include cached requests)',
    ({ tally }) => tally.executionCount,
  );
  for (const [name, help, statistic] of DURATIONS) {
    counter(name, help, ({ tally }) => microseconds(tally.inference[statistic]));
  }
  return registry;
}

function microseconds(stat: DurationStatistic): number {
  return Math.floor(stat.ns / 1000);
}
