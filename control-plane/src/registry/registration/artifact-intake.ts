import { rm } from 'node:fs/promises';
import { Inject, Injectable } from '@nestjs/common';
import { type ControlPlaneConfig } from '../../config/control-plane-config';
import { InjectControlPlaneConfig } from '../../config/control-plane-config.module';
import { ControlPlaneFailure } from '../../errors/control-plane-error';
import { MLFLOW_CLIENT } from '../../lineage/lineage.module';
import { type MlflowClient } from '../../lineage/mlflow/mlflow-client';
import { type MlflowRun } from '../../lineage/mlflow/mlflow-types';
import { UploadsService } from '../../uploads/uploads.service';
import { StagingArea } from '../artifacts/staging-area';
import { type ArtifactSource } from './register-command';

/** An artifact on local disk, ready for checks, and what it came with. */
export interface StagedArtifact {
  file: string;
  source: 'upload' | 'mlflow';
  /** The MLflow run it came from, and the tracking server's URI. */
  run?: { trackingUri: string; run: MlflowRun };
  /** After the artifact store took the file. */
  accepted(): Promise<void>;
  /** After a refusal: what was fetched for this registration is removed; an upload stays for a retry. */
  discard(): Promise<void>;
}

/** Brings a registration's artifact to local disk: a finished upload, or a download from MLflow. */
@Injectable()
export class ArtifactIntake {
  constructor(
    @InjectControlPlaneConfig() private readonly config: ControlPlaneConfig,
    @Inject(MLFLOW_CLIENT) private readonly mlflow: MlflowClient | null,
    private readonly uploads: UploadsService,
    private readonly staging: StagingArea,
  ) {}

  async stage(source: ArtifactSource): Promise<StagedArtifact> {
    if ('uploadId' in source) {
      const upload = await this.uploads.claim(source.uploadId);
      return {
        file: upload.path,
        source: 'upload',
        accepted: () => this.uploads.release(source.uploadId),
        discard: () => Promise.resolve(),
      };
    }
    if (this.mlflow === null) {
      throw new ControlPlaneFailure(
        'BAD_USER_INPUT',
        'no MLflow tracking server is configured (MLFLOW_TRACKING_URI); register from an upload instead',
        { argument: 'source.mlflow' },
      );
    }
    const resolved = await this.mlflow.resolveSource(source.mlflow);
    const run = await this.mlflow.getRun(resolved.runId);
    const file = this.staging.newFile('.onnx');
    const remove = () => rm(file, { force: true });
    try {
      await this.mlflow.downloadArtifact(resolved.runId, resolved.artifactPath, file, {
        maxBytes: this.config.uploads.maxBytes,
      });
    } catch (error) {
      await remove();
      throw error;
    }
    return {
      file,
      source: 'mlflow',
      run: { trackingUri: this.mlflow.trackingUri, run },
      accepted: () => Promise.resolve(),
      discard: remove,
    };
  }
}
