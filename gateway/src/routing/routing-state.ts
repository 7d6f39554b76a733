import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { RoutingSnapshot } from '@contracts/generated/control/v1/routing_pb';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { INFERENCE_BACKEND, type InferenceBackend } from '../request-path/inference-backend';
import { RoutingMetrics, type RoutingSource } from './routing-metrics';
import { RoutingSnapshotStore } from './routing-snapshot-store';
import { RoutingTable, RoutingTableRejection } from './routing-table';

/** What became of a snapshot: applied (and served from now on), or rejected with the reason. */
export type RoutingUpdate = { applied: true } | { applied: false; reason: string };

/** The table the route stage reads; RoutingState in the app, a fixed table in unit tests. */
export interface CurrentRoutingTable {
  readonly current: RoutingTable;
}

/**
 * The routing table the gateway serves, swapped whole (the route stage captures it once per
 * call), and its last known good copy on disk.
 *
 * Revisions only move forward: a snapshot older than the one served is rejected (a control plane
 * restored from an old backup is told so in its nacks rather than followed back). Revision 0 is
 * the exception: the control plane says there is no routing any more (identity), and that is
 * applied whatever was served, since nothing newer could ever replace a stale table otherwise.
 * The same revision again is validated and applied again (a reconnect, a file saved twice).
 *
 * At start the persisted snapshot is served before any source is asked, without checking the
 * versions it names against the backend, which may still be coming up; calls to a version that is
 * not served fall back (route.stage.ts).
 */
@Injectable()
export class RoutingState implements CurrentRoutingTable, OnModuleInit {
  private readonly logger = new Logger(RoutingState.name);
  private readonly store: RoutingSnapshotStore;
  private table = RoutingTable.IDENTITY;
  private loading?: Promise<void>;
  private persisting: Promise<void> = Promise.resolve();
  /** The last rejection logged: sources retry a rejected snapshot, the log says it once. */
  private lastRejection = '';

  constructor(
    @Inject(INFERENCE_BACKEND) private readonly backend: InferenceBackend,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    private readonly metrics: RoutingMetrics,
  ) {
    this.store = new RoutingSnapshotStore(config.auth.dataDir);
    this.metrics.served(0n, 0n);
  }

  get current(): RoutingTable {
    return this.table;
  }

  async onModuleInit(): Promise<void> {
    await this.loadPersisted();
  }

  /** Serves the persisted snapshot, once; every source awaits it before its first apply. */
  loadPersisted(): Promise<void> {
    this.loading ??= this.readPersisted();
    return this.loading;
  }

  /** Validates `snapshot` against what the backend serves, swaps it in and persists it. */
  async apply(snapshot: RoutingSnapshot, source: RoutingSource): Promise<RoutingUpdate> {
    await this.loadPersisted();
    const served = this.table.revision;
    let table: RoutingTable;
    try {
      if (snapshot.revision !== 0n && snapshot.revision < served) {
        throw new RoutingTableRejection(
          `revision ${snapshot.revision} is older than revision ${served}, which is served`,
        );
      }
      table = RoutingTable.from(snapshot, this.backend);
    } catch (error) {
      if (!(error instanceof RoutingTableRejection)) throw error;
      this.metrics.update(source, 'rejected');
      const rejection = `Routing revision ${snapshot.revision} from ${source} rejected (revision ${served} still served): ${error.reason}`;
      if (rejection !== this.lastRejection) this.logger.warn(rejection);
      this.lastRejection = rejection;
      return { applied: false, reason: error.reason };
    }
    this.lastRejection = '';
    this.swap(table, source);
    await this.persist(snapshot);
    return { applied: true };
  }

  private swap(table: RoutingTable, source: RoutingSource): void {
    const previous = this.table.revision;
    this.table = table;
    this.metrics.served(table.revision, table.createdUnixMs);
    this.metrics.update(source, 'applied');
    if (previous !== table.revision && source !== 'persisted') {
      this.logger.log(
        `Routing revision ${table.revision} from ${source} applied (${table.size} routes; was ${previous})`,
      );
    }
  }

  /** In order of application, so the file always ends up holding the newest applied snapshot. */
  private persist(snapshot: RoutingSnapshot): Promise<void> {
    this.persisting = this.persisting.then(() =>
      this.store.save(snapshot).catch((error: unknown) => {
        // Still served; only a restart without a control plane would miss it.
        this.logger.error(
          `Routing revision ${snapshot.revision} could not be persisted to ${this.store.file}: ${String(error)}`,
        );
      }),
    );
    return this.persisting;
  }

  private async readPersisted(): Promise<void> {
    try {
      const snapshot = await this.store.load();
      if (!snapshot) return;
      this.swap(RoutingTable.from(snapshot), 'persisted');
      this.logger.log(
        `Serving the persisted routing revision ${snapshot.revision} (last known good) until a source answers; its versions are not checked against the backend yet`,
      );
    } catch (error) {
      this.metrics.update('persisted', 'rejected');
      const reason = error instanceof RoutingTableRejection ? error.reason : String(error);
      this.logger.warn(
        `The persisted routing snapshot ${this.store.file} is not served: ${reason}`,
      );
    }
  }
}
