import { Inject, Injectable, Logger } from '@nestjs/common';
import { INFERENCE_BACKEND, type InferenceBackend } from '../../request-path/inference-backend';
import type { RepositoryIndexEntry } from '../../request-path/model-repository-control';
import { ServedVersions } from '../../serving/served-versions';
import { ServingReadiness } from '../../health/serving-readiness';

/**
 * The model_repository extension behind both front doors (REST and gRPC): the backend does the
 * work; per-version state (admission, batcher, decoder) follows at once instead of at the next
 * sweep, so an unloaded version's batcher drains now, and readiness reads the new state at once.
 */
@Injectable()
export class ModelRepositoryService {
  private readonly logger = new Logger('ModelRepository');

  constructor(
    @Inject(INFERENCE_BACKEND) private readonly backend: InferenceBackend,
    private readonly versions: ServedVersions,
    private readonly readiness: ServingReadiness,
  ) {}

  index(readyOnly: boolean): Promise<RepositoryIndexEntry[]> {
    return this.backend.repositoryIndex(readyOnly);
  }

  async load(model: string): Promise<void> {
    this.logger.log(`load of model '${model}' asked for`);
    try {
      await this.backend.loadModel(model);
    } finally {
      this.versions.sweep();
      await this.readiness.refresh();
    }
  }

  async unload(model: string): Promise<void> {
    this.logger.log(`unload of model '${model}' asked for`);
    try {
      await this.backend.unloadModel(model);
    } finally {
      this.versions.sweep();
      await this.readiness.refresh();
    }
  }
}
