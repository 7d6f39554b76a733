import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { createFirstAdminKey, ensureBootstrapKey } from '@auth';
import { type ControlPlaneConfig } from '../config/control-plane-config';
import { CONTROL_PLANE_CONFIG } from '../config/control-plane-config.module';
import {
  CONTROL_PLANE_API_KEY_STORE,
  type ControlPlaneApiKeyStore,
} from './api-key-store.provider';
import { ControlPlaneAuthenticator } from './control-plane-authenticator';

/** Where the first start leaves the admin key it made, under CONTROL_PLANE_DATA_DIR. */
export const FIRST_ADMIN_KEY_FILE = 'first-admin-api-key';

/**
 * At start-up, before the port opens: CONTROL_PLANE_BOOTSTRAP_ADMIN_KEY is ensured as an admin key
 * (the quick start passes the gateway's key, so one key opens both). Without it, the first start on
 * an empty key table makes an admin key and writes it, readable by the owner only, to
 * `<CONTROL_PLANE_DATA_DIR>/first-admin-api-key` (never to the log: logs never carry keys). Later
 * starts, or a table a gateway already filled, make nothing.
 */
@Injectable()
export class BootstrapAdminKey implements OnModuleInit {
  private readonly logger = new Logger('ApiKeys');

  constructor(
    @Inject(CONTROL_PLANE_CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(CONTROL_PLANE_API_KEY_STORE) private readonly store: ControlPlaneApiKeyStore,
    private readonly authenticator: ControlPlaneAuthenticator,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.store.open();
    this.logger.log(`API keys in ${this.store.description}`);
    const { bootstrapAdminKey } = this.config.auth;
    if (bootstrapAdminKey) {
      await ensureBootstrapKey(
        this.store,
        this.authenticator.verification,
        bootstrapAdminKey,
        'CONTROL_PLANE_BOOTSTRAP_ADMIN_KEY',
      );
      return;
    }
    const key = await createFirstAdminKey(this.store);
    if (key === undefined) return;
    const file = path.join(this.config.dataDir, FIRST_ADMIN_KEY_FILE);
    await mkdir(this.config.dataDir, { recursive: true, mode: 0o700 });
    await writeFile(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
    this.logger.warn(`first start: an admin API key was created and written to ${file}`);
  }
}
