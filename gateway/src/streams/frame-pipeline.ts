import { Injectable } from '@nestjs/common';
import { DetectPipeline } from '../vision/detect-pipeline';
import type { FrameStage, FrameWork } from './frame-work';
import { DetectFrameStage } from './stages/detect.frame-stage';
import { TrackStage } from './stages/track.frame-stage';
import { ReidentifyStage } from './stages/reidentify.frame-stage';
import { ForecastStage } from './stages/forecast.frame-stage';
import { AppearanceEmbedder } from './appearance-embedder';
import { TenantReidentification } from './tenant-reidentification';
import { StreamMetrics } from './stream-metrics';

/**
 * One camera frame, in order: detect (the whole call pipeline and vision path) → track (ByteTrack)
 * → reidentify (global ids across the tenant's cameras) → forecast. Shared by StreamTrack and the
 * server-pulled sources.
 */
@Injectable()
export class FramePipeline {
  private readonly stages: readonly FrameStage[];

  constructor(
    detector: DetectPipeline,
    embedder: AppearanceEmbedder,
    identities: TenantReidentification,
    private readonly metrics: StreamMetrics,
  ) {
    this.stages = [
      new DetectFrameStage(detector),
      new TrackStage(),
      new ReidentifyStage(embedder, identities, metrics),
      new ForecastStage(),
    ];
  }

  get stageNames(): string[] {
    return this.stages.map((stage) => stage.name);
  }

  async serve(work: FrameWork): Promise<void> {
    for (const stage of this.stages) {
      work.signal.throwIfAborted();
      const started = performance.now();
      await stage.run(work);
      const ms = performance.now() - started;
      if (stage.name !== 'detect') {
        work.timingsMs[stage.name] = Math.round(ms * 100) / 100;
        this.metrics.stageDuration.observe({ stage: stage.name }, ms / 1000);
      }
    }
  }
}
