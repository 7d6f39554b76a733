import { AuditEventEntity } from '../audit/entities/audit-event.entity';
import { AnalysisDecisionEntity } from '../deployments/entities/analysis-decision.entity';
import { CanaryAnalysisEntity } from '../deployments/entities/canary-analysis.entity';
import { DeploymentRevisionEntity } from '../deployments/entities/deployment-revision.entity';
import { DeploymentEntity } from '../deployments/entities/deployment.entity';
import { DatasetEntity } from '../lineage/entities/dataset.entity';
import { MlflowRunEntity } from '../lineage/entities/mlflow-run.entity';
import { ModelVersionDatasetEntity } from '../lineage/entities/model-version-dataset.entity';
import { ModelAliasEntity } from '../registry/entities/model-alias.entity';
import { ModelVersionEntity } from '../registry/entities/model-version.entity';
import { ModelEntity } from '../registry/entities/model.entity';

/** Every entity the migrations in ./migrations must create; the schema-drift test checks both agree. */
export const CONTROL_PLANE_ENTITIES = [
  ModelEntity,
  ModelVersionEntity,
  ModelAliasEntity,
  MlflowRunEntity,
  DatasetEntity,
  ModelVersionDatasetEntity,
  AuditEventEntity,
  DeploymentEntity,
  DeploymentRevisionEntity,
  CanaryAnalysisEntity,
  AnalysisDecisionEntity,
];
