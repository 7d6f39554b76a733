import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { AddSourceRequest, Source } from '@contracts/generated/vision/v1/streams_pb';
import { ACCESS, authorize } from '../auth/access-policy';
import { CONFIG_SLICE, type ConfigSlice } from '../config/gateway-config';
import { GatewayError, notFound, unavailable } from '../errors/gateway-error';
import { quoted } from '../errors/quoted-value';
import type { Caller } from '../request-path/caller';
import { FramePipeline } from './frame-pipeline';
import { SourceMetrics } from './sources-metrics';
import { planAddSource } from './sources-request';
import { ServedSource } from './sources-served-source';
import { StreamMetrics } from './stream-metrics';

/**
 * The server-pulled sources (AddSource, RemoveSource, ListSources, WatchSource), by id, at most
 * GATEWAY_SOURCES_MAX. A source runs from AddSource until RemoveSource or shutdown; one that
 * ended (a file without loop) stays listed, `ended`, until removed.
 */
@Injectable()
export class ServedSources implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(ServedSources.name);
  private readonly sources = new Map<string, ServedSource>();
  private shuttingDown = false;

  constructor(
    @Inject(CONFIG_SLICE.streams) private readonly settings: ConfigSlice<'streams'>,
    @Inject(CONFIG_SLICE.detectDefaults)
    private readonly detectDefaults: ConfigSlice<'detectDefaults'>,
    @Inject(CONFIG_SLICE.grpc) private readonly grpcLimits: ConfigSlice<'grpc'>,
    private readonly pipeline: FramePipeline,
    private readonly metrics: StreamMetrics,
    private readonly sourceMetrics: SourceMetrics,
  ) {}

  /** Validates, starts ffmpeg and serves the source's frames as `caller` (an admin). */
  add(request: AddSourceRequest, caller: Caller): Source {
    const plan = planAddSource(request, this.settings, this.detectDefaults);
    // Its frames are served as the adding caller's: like StreamTrack, told at once if it may not.
    authorize(caller, ACCESS.model, plan.config.model);
    if (this.shuttingDown) throw unavailable('the gateway is shutting down');
    if (this.sources.has(plan.id)) {
      throw new GatewayError(
        'conflict',
        `source id ${quoted(plan.id)} is taken: remove that source first or choose another id`,
      );
    }
    const max = this.settings.maxSources;
    if (this.sources.size >= max) {
      throw new GatewayError(
        'resource_exhausted',
        `the gateway serves ${this.sources.size} sources, the most it may (GATEWAY_SOURCES_MAX=${max})`,
      );
    }
    const source = new ServedSource(plan, caller, {
      pipeline: this.pipeline,
      metrics: this.metrics,
      sourceMetrics: this.sourceMetrics,
      settings: this.settings,
      maxUnsentBytes: this.grpcLimits.streamMaxUnsentBytes,
      logger: this.logger,
    });
    this.sources.set(plan.id, source);
    source.start();
    this.logger.log(`source '${plan.id}' (${source.url}) added by ${caller.subject}`);
    return source.describe();
  }

  /** The source `id`, or NOT_FOUND. */
  get(id: string): ServedSource {
    const source = this.sources.get(id);
    if (!source) throw notFound(`there is no source ${quoted(id)}`);
    return source;
  }

  /** Stops the source (ffmpeg gone, watchers ended) and forgets it and its series. */
  async remove(id: string): Promise<Source> {
    const source = this.get(id);
    this.sources.delete(id);
    await source.close();
    this.sourceMetrics.forget(id);
    this.logger.log(`source '${id}' removed`);
    return source.describe();
  }

  list(): Source[] {
    return [...this.sources.values()]
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((source) => source.describe());
  }

  /**
   * Before the gRPC server's graceful shutdown, which waits for open calls: watchers end here,
   * so it need not wait for them.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.closeAll();
  }

  /** No ffmpeg outlives the gateway. */
  async onApplicationShutdown(): Promise<void> {
    await this.closeAll();
  }

  private async closeAll(): Promise<void> {
    this.shuttingDown = true;
    const sources = [...this.sources.values()];
    this.sources.clear();
    await Promise.all(sources.map((source) => source.close()));
  }
}
