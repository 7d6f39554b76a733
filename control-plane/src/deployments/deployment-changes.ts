import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type DataSource, type EntityManager } from 'typeorm';
import { type Actor } from '../audit/actor';
import { ControlPlaneFailure } from '../errors/control-plane-error';
import { type ModelEntity } from '../registry/entities/model.entity';
import { ModelCatalogService } from '../registry/model-catalog.service';
import { lockModel } from '../registry/model-lock';
import { type DeploymentSpec, type RevisionCause, specColumns } from './deployment-spec';
import { CanaryAnalysisEntity } from './entities/canary-analysis.entity';
import { DeploymentRevisionEntity } from './entities/deployment-revision.entity';
import { DeploymentEntity } from './entities/deployment.entity';
import { checkServable } from './servable-versions';

export interface DeploymentState {
  deployment: DeploymentEntity;
  activeRevision: DeploymentRevisionEntity;
}

export interface NewRevision {
  spec: DeploymentSpec;
  cause: RevisionCause;
  reason: string | null;
  restoredFromRevisionId?: string | null;
}

/** One deployment, as a change inside its transaction sees it (its model's row locked). */
export class DeploymentChange {
  /** The revision appended by this change, if any. */
  appended: DeploymentRevisionEntity | null = null;

  constructor(
    readonly manager: EntityManager,
    readonly actor: Actor,
    readonly model: ModelEntity,
    public deployment: DeploymentEntity | null,
    public active: DeploymentRevisionEntity | null,
    readonly runningAnalysis: CanaryAnalysisEntity | null,
    private readonly catalog: ModelCatalogService,
  ) {}

  /** Appends a revision (creating the deployment on its first) and makes it the active one. */
  async append(revision: NewRevision): Promise<DeploymentRevisionEntity> {
    await checkServable(this.catalog, this.model, revision.spec);
    const deployments = this.manager.getRepository(DeploymentEntity);
    this.deployment ??= await deployments.save(
      deployments.create({ modelId: this.model.id, modelName: this.model.name }),
    );
    // One revision commits at a time, across replicas: ids are handed out and committed in the
    // same order, so a reader that saw revision N has seen every revision below N.
    await this.manager.query(`LOCK TABLE "deployment_revisions" IN SHARE ROW EXCLUSIVE MODE`);
    const revisions = this.manager.getRepository(DeploymentRevisionEntity);
    const saved = await revisions.save(
      revisions.create({
        deploymentId: this.deployment.id,
        number: (this.active?.number ?? 0) + 1,
        ...specColumns(revision.spec),
        cause: revision.cause,
        reason: revision.reason,
        restoredFromRevisionId: revision.restoredFromRevisionId ?? null,
        actorSubject: this.actor.subject,
      }),
    );
    await deployments.update({ id: this.deployment.id }, { activeRevisionId: saved.id });
    this.deployment.activeRevisionId = saved.id;
    this.active = saved;
    this.appended = saved;
    return saved;
  }
}

/**
 * Runs deployment changes: one at a time in this process (the embedded PGlite has one session, so
 * concurrent transactions would interleave in it), each in a transaction holding its model's row
 * lock (replicas sharing a Postgres queue on it), and tells listeners of each revision committed.
 */
@Injectable()
export class DeploymentChanges {
  private readonly logger = new Logger(DeploymentChanges.name);
  private tail: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<(revision: bigint) => void>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly catalog: ModelCatalogService,
  ) {}

  /**
   * Runs `work` after every change and read queued before it. Reads that must not see a change
   * half made (the routing snapshot, on PGlite) go through here too.
   */
  serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work, work);
    this.tail = run.catch(() => undefined);
    return run;
  }

  change<T>(
    actor: Actor,
    modelName: string,
    work: (change: DeploymentChange) => Promise<T>,
  ): Promise<T> {
    return this.serially(async () => {
      let appended: string | null = null;
      const result = await this.dataSource.transaction(async (manager) => {
        const model = await lockModel(manager, modelName);
        const deployment = await manager
          .getRepository(DeploymentEntity)
          .findOneBy({ modelId: model.id });
        const active =
          deployment?.activeRevisionId == null
            ? null
            : await manager
                .getRepository(DeploymentRevisionEntity)
                .findOneByOrFail({ id: deployment.activeRevisionId });
        const running =
          deployment === null
            ? null
            : await manager
                .getRepository(CanaryAnalysisEntity)
                .findOneBy({ deploymentId: deployment.id, state: 'running' });
        const change = new DeploymentChange(
          manager,
          actor,
          model,
          deployment,
          active,
          running,
          this.catalog,
        );
        const value = await work(change);
        appended = change.appended?.id ?? null;
        return value;
      });
      if (appended !== null) this.committed(BigInt(appended));
      return result;
    });
  }

  /** Called with each revision this process commits, after the commit. */
  onCommitted(listener: (revision: bigint) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private committed(revision: bigint): void {
    for (const listener of this.listeners) {
      try {
        listener(revision);
      } catch (error) {
        this.logger.error(`a revision listener failed: ${String(error)}`);
      }
    }
  }
}

export function requireActive(change: DeploymentChange): DeploymentRevisionEntity {
  if (change.active === null) {
    throw new ControlPlaneFailure('NOT_FOUND', `model ${change.model.name} has no deployment`, {
      argument: 'model',
    });
  }
  return change.active;
}

export function stateOf(change: DeploymentChange): DeploymentState {
  const { deployment, active } = change;
  if (deployment === null || active === null) throw new Error('the change left no deployment');
  return { deployment, activeRevision: active };
}
