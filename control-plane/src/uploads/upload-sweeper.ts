import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { ControlPlaneConfig } from '../config/control-plane-config';
import { InjectControlPlaneConfig } from '../config/control-plane-config.module';
import { UploadsService } from './uploads.service';

/** Often enough that an upload outlives its TTL by at most a quarter of it (1 s to 10 min). */
export function sweepIntervalMs(ttlSeconds: number): number {
  return Math.min(600_000, Math.max(1000, (ttlSeconds * 1000) / 4));
}

/** Deletes expired uploads at start-up (what a stopped process left) and then periodically. */
@Injectable()
export class UploadSweeper implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Uploads');
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly uploads: UploadsService,
    @InjectControlPlaneConfig() private readonly config: ControlPlaneConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.uploads.prepare();
    await this.uploads.sweep();
    this.timer = setInterval(() => {
      this.sweeping = this.uploads
        .sweep()
        .catch((error: unknown) => this.logger.warn(`upload sweep failed: ${String(error)}`));
    }, sweepIntervalMs(this.config.uploads.ttlSeconds));
    // The sweep must not keep a stopping process alive.
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }
}
