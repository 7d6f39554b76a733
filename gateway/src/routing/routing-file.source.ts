import { stat, readFile } from 'node:fs/promises';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { fromJsonString } from '@bufbuild/protobuf';
import { RoutingSnapshotSchema } from '@contracts/generated/control/v1/routing_pb';
import { CONFIG_SLICE, type RoutingSettings } from '../config/gateway-config';
import { RoutingMetrics } from './routing-metrics';
import { RoutingState } from './routing-state';

const POLL_MS = 1000;

/**
 * GATEWAY_ROUTING_FILE: a RoutingSnapshot in protobuf JSON (a ConfigMap, a GitOps checkout), read
 * at start and again whenever its modification time changes (polled every second: inotify misses
 * a ConfigMap's symlink swap). A snapshot that is rejected (unreadable, invalid, naming a version
 * not served yet) is retried every poll, so it applies once the backends serve what it names.
 */
@Injectable()
export class RoutingFileSource implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RoutingFileSource.name);
  private timer?: NodeJS.Timeout;
  private appliedMtimeMs?: number;
  private lastProblem = '';
  private polling = false;

  constructor(
    @Inject(CONFIG_SLICE.routing) private readonly settings: RoutingSettings,
    private readonly state: RoutingState,
    private readonly metrics: RoutingMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.settings.file) return;
    await this.state.loadPersisted();
    await this.poll();
    this.timer = setInterval(() => void this.poll(), POLL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Reads the file when it changed since it was last applied; never throws. */
  async poll(): Promise<void> {
    const file = this.settings.file;
    if (!file || this.polling) return;
    this.polling = true;
    try {
      const { mtimeMs } = await stat(file);
      if (mtimeMs === this.appliedMtimeMs) return;
      const snapshot = fromJsonString(RoutingSnapshotSchema, await readFile(file, 'utf8'));
      const result = await this.state.apply(snapshot, 'file');
      if (result.applied) {
        this.appliedMtimeMs = mtimeMs;
        this.lastProblem = '';
      } else {
        this.report(`revision ${snapshot.revision} rejected: ${result.reason}`);
      }
    } catch (error) {
      const problem = error instanceof Error ? error.message : String(error);
      if (problem !== this.lastProblem) this.metrics.update('file', 'rejected');
      this.report(problem);
    } finally {
      this.polling = false;
    }
  }

  /** Once per distinct problem: the file is retried every second. */
  private report(problem: string): void {
    if (problem === this.lastProblem) return;
    this.lastProblem = problem;
    this.logger.warn(`Routing file ${this.settings.file}: ${problem}`);
  }
}
