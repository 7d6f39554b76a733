import * as path from 'node:path';
import { Logger, type Provider } from '@nestjs/common';
import { type ControlPlaneConfig } from '../../config/control-plane-config';
import { CONTROL_PLANE_CONFIG } from '../../config/control-plane-config.module';
import { ARTIFACT_STORE } from './artifact-store';
import { LocalArtifactStore } from './local-artifact-store';
import { StagingArea } from './staging-area';

/** The artifact store and its staging folder, both under the data folder (one file system). */
export const REGISTRY_STORAGE_PROVIDERS: Provider[] = [
  {
    provide: ARTIFACT_STORE,
    inject: [CONTROL_PLANE_CONFIG],
    useFactory: (config: ControlPlaneConfig) =>
      new LocalArtifactStore(path.join(config.dataDir, 'artifacts')),
  },
  {
    provide: StagingArea,
    inject: [CONTROL_PLANE_CONFIG],
    // Emptied while the application is built, before any start-up hook: the hooks of one module
    // run concurrently, and emptying it from one of them deleted the warm-up copy that start-up
    // validation (VersionValidation) was loading, failing a version a crash had left unvalidated.
    useFactory: async (config: ControlPlaneConfig): Promise<StagingArea> => {
      const staging = new StagingArea(path.join(config.dataDir, 'staging'));
      const leftovers = await staging.prepare();
      if (leftovers > 0) {
        new Logger('StagingArea').warn(
          `Removed ${leftovers} staged file(s) left by an earlier run`,
        );
      }
      return staging;
    },
  },
];
