import { Injectable } from '@nestjs/common';
import { BatchLoader, RequestScoped } from '../../graphql/batch-loader';
import { DeploymentReads } from '../deployment-reads.service';
import { type AnalysisDecisionEntity } from '../entities/analysis-decision.entity';
import { type CanaryAnalysisEntity } from '../entities/canary-analysis.entity';
import { type DeploymentRevisionEntity } from '../entities/deployment-revision.entity';
import { type DeploymentEntity } from '../entities/deployment.entity';

/** What one GraphQL request reads of deployments, each read made once however often it is asked. */
export interface DeploymentRequestReads {
  deploymentsPage(first: number, afterName?: string): Promise<DeploymentEntity[]>;
  deploymentsByModel: BatchLoader<string, DeploymentEntity | null>;
  revisionsById: BatchLoader<string, DeploymentRevisionEntity | null>;
  revisionsPage(
    deploymentId: string,
    first: number,
    beforeId?: string,
  ): Promise<DeploymentRevisionEntity[]>;
  /** Newest first (a deployment has few). */
  analysesOfDeployment: BatchLoader<string, CanaryAnalysisEntity[]>;
  decisionsPage(
    analysisId: string,
    first: number,
    beforeId?: string,
  ): Promise<AnalysisDecisionEntity[]>;
}

@Injectable()
export class DeploymentLoaders {
  private readonly reads: RequestScoped<DeploymentRequestReads>;

  constructor(reads: DeploymentReads) {
    this.reads = new RequestScoped(() => {
      const pages = new Map<string, Promise<unknown>>();
      // Aliases asking for the same page share one query.
      const once = <T>(key: unknown[], read: () => Promise<T>): Promise<T> => {
        const text = JSON.stringify(key);
        let page = pages.get(text) as Promise<T> | undefined;
        if (page === undefined) {
          page = read();
          pages.set(text, page);
        }
        return page;
      };
      return {
        deploymentsPage: (first, afterName) =>
          once(['deployments', first, afterName], () => reads.deploymentsPage(first, afterName)),
        deploymentsByModel: new BatchLoader((names) => reads.deploymentsByModelNames(names), null),
        revisionsById: new BatchLoader((ids) => reads.revisionsByIds(ids), null),
        revisionsPage: (deploymentId, first, beforeId) =>
          once(['revisions', deploymentId, first, beforeId], () =>
            reads.revisionsPage(deploymentId, first, beforeId),
          ),
        analysesOfDeployment: new BatchLoader((ids) => reads.analysesOfDeployments(ids), []),
        decisionsPage: (analysisId, first, beforeId) =>
          once(['decisions', analysisId, first, beforeId], () =>
            reads.decisionsPage(analysisId, first, beforeId),
          ),
      };
    });
  }

  /** The reads of the request whose GraphQL context this is. */
  for(requestContext: object): DeploymentRequestReads {
    return this.reads.for(requestContext);
  }
}
