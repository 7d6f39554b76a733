import { Counter, Histogram, type Registry } from 'prom-client';
import { LATENCY_BOUNDS_MS, SCORE_BOUNDS } from './statistics-bounds';

/**
 * The series a canary analysis reads from Prometheus (control-plane/src/canary-analysis): per
 * version the primary calls' outcome, latency and detections; per (primary, shadow) pair the
 * comparisons of the same images. Label values are served model versions only (resolved targets),
 * so the series stay bounded by what the backend serves.
 */
export class RolloutMetrics {
  readonly versionCalls: Counter<'model' | 'version' | 'role' | 'outcome'>;
  readonly versionCallDuration: Histogram<'model' | 'version'>;
  readonly versionImages: Counter<'model' | 'version'>;
  readonly versionDetections: Counter<'model' | 'version'>;
  readonly versionDetectionScore: Histogram<'model' | 'version'>;
  readonly shadowCalls: Counter<'model' | 'primary_version' | 'shadow_version' | 'outcome'>;
  readonly shadowDetections: Counter<'model' | 'primary_version' | 'shadow_version' | 'side'>;
  readonly shadowDetectionScore: Histogram<'model' | 'primary_version' | 'shadow_version' | 'side'>;
  readonly shadowCallDuration: Histogram<'model' | 'primary_version' | 'shadow_version'>;

  constructor(registry: Registry) {
    const registers = [registry];
    const seconds = LATENCY_BOUNDS_MS.map((ms) => ms / 1000);
    this.versionCalls = new Counter({
      name: 'gateway_version_calls_total',
      help: 'Calls by the version that served them, why it was chosen (role) and their outcome.',
      labelNames: ['model', 'version', 'role', 'outcome'],
      registers,
    });
    this.versionCallDuration = new Histogram({
      name: 'gateway_version_call_duration_seconds',
      help: 'Time from routing to answer of the calls each version served (queue and work).',
      labelNames: ['model', 'version'],
      buckets: seconds,
      registers,
    });
    this.versionImages = new Counter({
      name: 'gateway_version_images_total',
      help: 'Images each version answered detect calls for.',
      labelNames: ['model', 'version'],
      registers,
    });
    this.versionDetections = new Counter({
      name: 'gateway_version_detections_total',
      help: 'Detections each version returned.',
      labelNames: ['model', 'version'],
      registers,
    });
    this.versionDetectionScore = new Histogram({
      name: 'gateway_version_detection_score',
      help: 'Confidence scores of the detections each version returned.',
      labelNames: ['model', 'version'],
      buckets: [...SCORE_BOUNDS],
      registers,
    });
    this.shadowCalls = new Counter({
      name: 'gateway_shadow_calls_total',
      help: 'Shadow copies by outcome: compared with the primary answer, failed, or dropped for want of budget.',
      labelNames: ['model', 'primary_version', 'shadow_version', 'outcome'],
      registers,
    });
    this.shadowDetections = new Counter({
      name: 'gateway_shadow_detections_total',
      help: "Detections of compared images: the primary's, the shadow's, and the pairs matched (same class, IoU >= 0.5).",
      labelNames: ['model', 'primary_version', 'shadow_version', 'side'],
      registers,
    });
    this.shadowDetectionScore = new Histogram({
      name: 'gateway_shadow_detection_score',
      help: "Confidence scores on compared images, the primary's and the shadow's.",
      labelNames: ['model', 'primary_version', 'shadow_version', 'side'],
      buckets: [...SCORE_BOUNDS],
      registers,
    });
    this.shadowCallDuration = new Histogram({
      name: 'gateway_shadow_call_duration_seconds',
      help: 'Time a shadow copy took, from its start apart from the primary call.',
      labelNames: ['model', 'primary_version', 'shadow_version'],
      buckets: seconds,
      registers,
    });
  }
}
