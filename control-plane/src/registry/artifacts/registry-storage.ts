import * as path from 'node:path';
import { type Provider } from '@nestjs/common';
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
    useFactory: (config: ControlPlaneConfig) =>
      new StagingArea(path.join(config.dataDir, 'staging')),
  },
];
