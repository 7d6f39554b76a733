import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { type ControlPlaneConfig } from '../config/control-plane-config';
import { InjectControlPlaneConfig } from '../config/control-plane-config.module';
import { ControlPlaneFailure } from '../errors/control-plane-error';
import { BackendRepositoryClient, type BackendModelState } from './backend-repository-client';

export interface BackendOutcome {
  backend: string;
  error?: ControlPlaneFailure;
}

export interface BackendIndex {
  backend: string;
  models?: BackendModelState[];
  error?: string;
}

/** Every configured backend, asked at once; one slow or down backend never hides the others' answers. */
@Injectable()
export class BackendFleet implements OnApplicationShutdown {
  private readonly clients: BackendRepositoryClient[];

  constructor(@InjectControlPlaneConfig() config: ControlPlaneConfig) {
    const { endpoints, apiKey, timeoutMs } = config.backends;
    this.clients = endpoints.map(
      (endpoint) =>
        new BackendRepositoryClient(endpoint.name, endpoint.address, {
          timeoutMs,
          ...(apiKey !== undefined ? { apiKey } : {}),
        }),
    );
  }

  get names(): string[] {
    return this.clients.map((client) => client.name);
  }

  /** Refuses a load or unload up front when no backend is configured. */
  requireBackends(): void {
    if (this.clients.length === 0) {
      throw new ControlPlaneFailure(
        'BAD_USER_INPUT',
        'no backend is configured (CONTROL_PLANE_BACKENDS); the version is in the repository but nothing can load it',
      );
    }
  }

  async load(model: string, only?: readonly string[]): Promise<BackendOutcome[]> {
    return this.each(only, (client) => client.load(model));
  }

  async unload(model: string, only?: readonly string[]): Promise<BackendOutcome[]> {
    return this.each(only, (client) => client.unload(model));
  }

  async indexes(): Promise<BackendIndex[]> {
    return Promise.all(
      this.clients.map(async (client) => {
        try {
          return { backend: client.name, models: await client.index() };
        } catch (error) {
          return {
            backend: client.name,
            error: error instanceof Error ? error.message : String(error),
          };
        }
      }),
    );
  }

  onApplicationShutdown(): void {
    for (const client of this.clients) client.close();
  }

  private async each(
    only: readonly string[] | undefined,
    action: (client: BackendRepositoryClient) => Promise<void>,
  ): Promise<BackendOutcome[]> {
    const chosen = this.clients.filter(
      (client) => only === undefined || only.includes(client.name),
    );
    return Promise.all(
      chosen.map(async (client) => {
        try {
          await action(client);
          return { backend: client.name };
        } catch (error) {
          const failure =
            error instanceof ControlPlaneFailure
              ? error
              : new ControlPlaneFailure(
                  'UPSTREAM_ERROR',
                  `backend ${client.name}: ${String(error)}`,
                );
          return { backend: client.name, error: failure };
        }
      }),
    );
  }
}
