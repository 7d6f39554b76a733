import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type DataSource, type EntityManager, In, LessThan, MoreThan } from 'typeorm';
import { type RunningAnalysis } from './canary-analysis-contract';
import { AnalysisDecisionEntity } from './entities/analysis-decision.entity';
import { CanaryAnalysisEntity } from './entities/canary-analysis.entity';
import { DeploymentRevisionEntity } from './entities/deployment-revision.entity';
import { DeploymentEntity } from './entities/deployment.entity';

/** Every deployment's active revision and the running analyses, read at one instant. */
export interface RoutingState {
  /** The newest revision, null when there is none. */
  head: { id: string; createdAt: Date } | null;
  active: { modelName: string; revision: DeploymentRevisionEntity }[];
  running: CanaryAnalysisEntity[];
}

/** Read side of deployments; the batch methods answer many keys with one query (for DataLoaders). */
@Injectable()
export class DeploymentReads {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** By model name; `take + 1` rows after the deployment of `afterName`. */
  deploymentsPage(take: number, afterName?: string): Promise<DeploymentEntity[]> {
    return this.dataSource.getRepository(DeploymentEntity).find({
      where: afterName === undefined ? {} : { modelName: MoreThan(afterName) },
      order: { modelName: 'ASC' },
      take: take + 1,
    });
  }

  async deploymentsByModelNames(names: readonly string[]): Promise<Map<string, DeploymentEntity>> {
    if (names.length === 0) return new Map();
    const rows = await this.dataSource
      .getRepository(DeploymentEntity)
      .findBy({ modelName: In([...names]) });
    return new Map(rows.map((row) => [row.modelName, row]));
  }

  async revisionsByIds(ids: readonly string[]): Promise<Map<string, DeploymentRevisionEntity>> {
    if (ids.length === 0) return new Map();
    const rows = await this.dataSource
      .getRepository(DeploymentRevisionEntity)
      .findBy({ id: In([...ids]) });
    return new Map(rows.map((row) => [row.id, row]));
  }

  /** Newest first; `take + 1` rows older than revision `beforeId`. */
  revisionsPage(
    deploymentId: string,
    take: number,
    beforeId?: string,
  ): Promise<DeploymentRevisionEntity[]> {
    return this.dataSource.getRepository(DeploymentRevisionEntity).find({
      where: { deploymentId, ...(beforeId === undefined ? {} : { id: LessThan(beforeId) }) },
      order: { id: 'DESC' },
      take: take + 1,
    });
  }

  /** Every analysis of each deployment, newest first (a deployment has few). */
  async analysesOfDeployments(
    deploymentIds: readonly string[],
  ): Promise<Map<string, CanaryAnalysisEntity[]>> {
    const byDeployment = new Map<string, CanaryAnalysisEntity[]>(
      deploymentIds.map((id) => [id, []]),
    );
    if (deploymentIds.length === 0) return byDeployment;
    const rows = await this.dataSource.getRepository(CanaryAnalysisEntity).find({
      where: { deploymentId: In([...deploymentIds]) },
      order: { startedAt: 'DESC', id: 'ASC' },
    });
    for (const row of rows) byDeployment.get(row.deploymentId)?.push(row);
    return byDeployment;
  }

  /** Newest first; `take + 1` decisions older than decision `beforeId`. */
  decisionsPage(
    analysisId: string,
    take: number,
    beforeId?: string,
  ): Promise<AnalysisDecisionEntity[]> {
    return this.dataSource.getRepository(AnalysisDecisionEntity).find({
      where: { analysisId, ...(beforeId === undefined ? {} : { id: LessThan(beforeId) }) },
      order: { id: 'DESC' },
      take: take + 1,
    });
  }

  /** A revision of one deployment, read in the caller's transaction. */
  revisionOf(
    manager: EntityManager,
    deploymentId: string,
    id: string,
  ): Promise<DeploymentRevisionEntity | null> {
    return manager.getRepository(DeploymentRevisionEntity).findOneBy({ id, deploymentId });
  }

  /** The model whose deployment the analysis judges; null for an unknown analysis. */
  async modelOfAnalysis(analysisId: string): Promise<string | null> {
    const analysis = await this.dataSource
      .getRepository(CanaryAnalysisEntity)
      .findOneBy({ id: analysisId });
    if (analysis === null) return null;
    const deployment = await this.dataSource
      .getRepository(DeploymentEntity)
      .findOneByOrFail({ id: analysis.deploymentId });
    return deployment.modelName;
  }

  async runningAnalyses(): Promise<RunningAnalysis[]> {
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const running = await manager
        .getRepository(CanaryAnalysisEntity)
        .find({ where: { state: 'running' }, order: { startedAt: 'ASC' } });
      const active = await activeRevisions(
        manager,
        running.map((analysis) => analysis.deploymentId),
      );
      return running.flatMap((analysis): RunningAnalysis[] => {
        const found = active.get(analysis.deploymentId);
        if (found === undefined) return [];
        return [
          {
            analysisId: analysis.id,
            model: found.modelName,
            spec: analysis.spec,
            stableVersion: found.revision.stableVersion,
            canaryVersion: analysis.canaryVersion,
            canaryWeightPercent:
              found.revision.canaryVersion === analysis.canaryVersion
                ? found.revision.canaryWeightPercent
                : 0,
            iterations: analysis.iterations,
            failures: analysis.failures,
            passesAtMaxWeight: analysis.passesAtMaxWeight,
            startedAt: analysis.startedAt,
            lastDecisionAt: analysis.lastDecisionAt,
          },
        ];
      });
    });
  }

  /** The id of the newest revision, 0 when there is none. */
  async headRevision(): Promise<bigint> {
    const [row] = await this.dataSource.query<{ id: string | null }[]>(
      `SELECT max("id")::text AS "id" FROM "deployment_revisions"`,
    );
    return BigInt(row?.id ?? 0);
  }

  /** What the routing snapshot is built from, in one consistent read. */
  routingState(): Promise<RoutingState> {
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const [head] = await manager.getRepository(DeploymentRevisionEntity).find({
        order: { id: 'DESC' },
        take: 1,
      });
      const deployments = await manager.getRepository(DeploymentEntity).find();
      const active = await activeRevisions(
        manager,
        deployments.map((deployment) => deployment.id),
      );
      const running = await manager
        .getRepository(CanaryAnalysisEntity)
        .findBy({ state: 'running' });
      return {
        head: head === undefined ? null : { id: head.id, createdAt: head.createdAt },
        active: [...active.values()],
        running,
      };
    });
  }
}

/** Each deployment's model name and active revision, by deployment id. */
async function activeRevisions(
  manager: EntityManager,
  deploymentIds: readonly string[],
): Promise<Map<string, { modelName: string; revision: DeploymentRevisionEntity }>> {
  if (deploymentIds.length === 0) return new Map();
  const deployments = await manager
    .getRepository(DeploymentEntity)
    .findBy({ id: In([...deploymentIds]) });
  const revisionIds = deployments.flatMap((row) =>
    row.activeRevisionId === null ? [] : [row.activeRevisionId],
  );
  const revisions = await manager
    .getRepository(DeploymentRevisionEntity)
    .findBy({ id: In(revisionIds) });
  const byId = new Map(revisions.map((row) => [row.id, row]));
  const result = new Map<string, { modelName: string; revision: DeploymentRevisionEntity }>();
  for (const deployment of deployments) {
    const revision = byId.get(deployment.activeRevisionId ?? '');
    if (revision !== undefined) {
      result.set(deployment.id, { modelName: deployment.modelName, revision });
    }
  }
  return result;
}
