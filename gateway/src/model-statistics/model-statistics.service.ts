import { Inject, Injectable } from '@nestjs/common';
import { invalidArgument } from '../errors/gateway-error';
import { INFERENCE_BACKEND, type InferenceBackend } from '../request-path/inference-backend';
import { isModelStatisticsSource, type VersionStatistics } from '../request-path/model-statistics';
import { ModelStatisticsRecorder } from './model-statistics.recorder';

/** Which versions a statistics request asks about: '' for every model, every version. */
export interface StatisticsAsk {
  model: string;
  version: string;
  /** Whether the caller may see a model's statistics (a listing of every model is filtered). */
  mayRead: (model: string) => boolean;
}

/**
 * Triton's statistics extension over whichever backend serves: the gateway's own measurements for
 * the embedded backend; for a backend that keeps its own (Triton), its counts and compute times
 * with the time calls waited in the gateway (admission, gateway batching) added to queue and to
 * success, since Triton never saw that wait.
 */
@Injectable()
export class ModelStatisticsService {
  constructor(
    @Inject(INFERENCE_BACKEND) private readonly backend: InferenceBackend,
    private readonly recorder: ModelStatisticsRecorder,
  ) {}

  async statistics({ model, version, mayRead }: StatisticsAsk): Promise<VersionStatistics[]> {
    const asked = this.versionsAsked(model, version).filter((pair) => mayRead(pair.model));
    return Promise.all(asked.map((pair) => this.statisticsOf(pair.model, pair.version)));
  }

  /** Served versions only; an unknown model or version fails as every model route does (404). */
  private versionsAsked(model: string, version: string): { model: string; version: string }[] {
    if (model === '') {
      if (version !== '') throw invalidArgument('statistics of a version need the model name');
      return this.backend
        .listModels()
        .flatMap((metadata) =>
          metadata.versions.map((served) => ({ model: metadata.name, version: served })),
        );
    }
    const target = this.backend.resolve(model, version);
    const versions = version === '' ? target.metadata.versions : [target.version];
    return versions.map((served) => ({ model, version: served }));
  }

  private async statisticsOf(model: string, version: string): Promise<VersionStatistics> {
    const own = this.recorder.statisticsOf(model, version);
    if (!isModelStatisticsSource(this.backend)) return own;
    return withGatewayQueue(await this.backend.modelStatistics(model, version), own);
  }
}

/** The backend's statistics, with the time its calls first waited in the gateway. */
export function withGatewayQueue(
  backend: VersionStatistics,
  gateway: VersionStatistics,
): VersionStatistics {
  const { queue, success } = backend.inferenceStats;
  const waited = gateway.inferenceStats.queue.ns;
  return {
    ...backend,
    lastInference: Math.max(backend.lastInference, gateway.lastInference),
    inferenceStats: {
      ...backend.inferenceStats,
      queue: { count: queue.count, ns: queue.ns + waited },
      success: { count: success.count, ns: success.ns + waited },
    },
  };
}
