import { asBackgroundWork } from '../database/background-work';
import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { type RoutingSnapshot } from '@contracts/generated/control/v1/routing_pb';
import { type RoutingSnapshotSource } from './canary-analysis-contract';
import { DeploymentChanges } from './deployment-changes';
import { DeploymentReads } from './deployment-reads.service';
import { routingSnapshotOf } from './routing-table';

/** How often the newest revision is read, to notice changes other control-plane replicas commit. */
export const REVISION_POLL_MS = 500;

/**
 * The routing table the gateways follow. A snapshot is built once per revision and shared; a
 * change committed here is announced at once, one committed by another replica within a poll.
 */
@Injectable()
export class RoutingSnapshots
  implements RoutingSnapshotSource, OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger(RoutingSnapshots.name);
  private readonly listeners = new Set<(revision: bigint) => void>();
  private cached: RoutingSnapshot | null = null;
  private announced = 0n;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private pollFailing = false;

  constructor(
    private readonly reads: DeploymentReads,
    private readonly changes: DeploymentChanges,
  ) {
    changes.onCommitted((revision) => this.announce(revision));
  }

  async onApplicationBootstrap(): Promise<void> {
    this.announced = await this.changes.serially(() => this.reads.headRevision());
    this.timer = setInterval(() => void this.poll(), REVISION_POLL_MS);
    // The poll never keeps the process alive on its own.
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  current(): Promise<RoutingSnapshot> {
    // Serially with the changes: on PGlite a read between a change's statements would see it
    // before it commits.
    return this.changes.serially(async () => {
      const head = await this.reads.headRevision();
      if (this.cached?.revision !== head) {
        this.cached = routingSnapshotOf(await this.reads.routingState());
      }
      return this.cached;
    });
  }

  onChange(listener: (revision: bigint) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const head = await asBackgroundWork('routing-revision-poll', () =>
        this.changes.serially(() => this.reads.headRevision()),
      );
      this.announce(head);
      if (this.pollFailing) this.logger.log('reading the routing revision works again');
      this.pollFailing = false;
    } catch (error) {
      if (!this.pollFailing && this.timer !== undefined) {
        this.logger.warn(`cannot read the routing revision: ${String(error)}`);
      }
      this.pollFailing = true;
    } finally {
      this.polling = false;
    }
  }

  private announce(revision: bigint): void {
    if (revision <= this.announced) return;
    this.announced = revision;
    for (const listener of this.listeners) {
      try {
        listener(revision);
      } catch (error) {
        this.logger.error(`a routing change listener failed: ${String(error)}`);
      }
    }
  }
}
