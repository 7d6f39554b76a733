import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { API_KEY_STORE, type ApiKeyStore } from '@auth';
import { AUTH_CONFIG, type AuthConfig } from '../auth-config';
import { ApiKeyService } from './api-key-service';

/**
 * At start-up, before any port opens: GATEWAY_BOOTSTRAP_API_KEY is ensured as an admin key; without
 * it, the first start on an empty store creates an admin key and prints it once on stdout (not
 * through the logger: logs never carry keys). Later starts find keys and print nothing.
 */
@Injectable()
export class BootstrapAdminKey implements OnModuleInit {
  private readonly logger = new Logger('ApiKeys');

  constructor(
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(API_KEY_STORE) private readonly store: ApiKeyStore,
    private readonly apiKeys: ApiKeyService,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.store.open();
    this.logger.log(`API keys in ${this.store.description}`);
    if (this.config.bootstrapApiKey) {
      await this.apiKeys.ensureBootstrapKey(this.config.bootstrapApiKey);
      return;
    }
    const key = await this.apiKeys.createFirstAdminKey();
    if (key) process.stdout.write(firstKeyNotice(key));
  }
}

function firstKeyNotice(key: string): string {
  const rule = '='.repeat(78);
  return [
    rule,
    'FIRST START: an admin API key was created. It is shown this once; keep it safe.',
    `  ${key}`,
    'Use it as "x-api-key: <key>"; create more keys with POST /admin/api-keys (docs/api.md).',
    rule,
    '',
  ].join('\n');
}
