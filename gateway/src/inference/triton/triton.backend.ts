import { Logger } from '@nestjs/common';
import { status } from '@grpc/grpc-js';
import type { RepositoryIndexResponse_ModelIndex } from '@contracts/generated/inference/grpc_service_pb';
import type { BreakerSettings, BreakerState } from '../../breakers/breaker-settings';
import {
  NO_PROTECTION_OBSERVER,
  type BackendProtectionObserver,
} from '../../breakers/breaker-metrics';
import {
  DEFAULT_RETRY_BUDGET,
  RetryBudget,
  type RetryBudgetSettings,
} from '../../breakers/retry-budget';
import { GatewayError, notFound, unavailable } from '../../errors/gateway-error';
import { inferRequestForTriton, inferResponseFromProto } from '../../kserve-wire/grpc-tensor-codec';
import type {
  InferenceBackend,
  InferRequest,
  InferResponse,
  ModelMetadata,
} from '../../request-path/inference-backend';
import type { BackendTopology } from '../../request-path/backend-topology';
import {
  isModelState,
  type RepositoryIndexEntry,
} from '../../request-path/model-repository-control';
import { modelInstanceCount } from '../model-instances';
import { servedVersion } from '../resolve-version';
import type { ResolvedTarget } from '../../request-path/resolved-target';
import { EndpointPool, type TritonEndpoint } from './endpoint-pool';
import type { RandomSource } from './endpoint-selection';
import { GuardedCalls } from './guarded-calls';
import { onEveryEndpoint } from './repository-fan-out';
import { sumStatistics } from './triton-statistics';
import type { ModelStatisticsSource, VersionStatistics } from '../../request-path/model-statistics';
import { statisticsFromProto } from '../../kserve-wire/statistics-codec';
import { TritonClient } from './triton-client';
import { describeFailure, isServiceError } from './triton-errors';
import { localModelNames, readLocalLabels, toModelMetadata } from './triton-metadata';

/** Loading a model can take much longer than an inference call (sessions, warm-up). */
const MODEL_CONTROL_TIMEOUT_MS = 120_000;

export interface TritonBackendOptions {
  /** host:port of each Triton gRPC endpoint. */
  urls: readonly string[];
  timeoutMs: number;
  healthIntervalMs: number;
  maxMessageBytes: number;
  /** The gateway's local copy of the model repository: label files, and model names as a fallback. */
  repository: string;
  /** Sent as `x-api-key` on every call (TRITON_API_KEY). */
  apiKey?: string;
  random?: RandomSource;
  /** Circuit breaker of each endpoint (default: DEFAULT_BREAKER_SETTINGS). */
  breaker?: BreakerSettings;
  /** Bounds retries on another endpoint (default: DEFAULT_RETRY_BUDGET). */
  retryBudget?: RetryBudgetSettings;
  /** Metrics of breakers and retries. */
  observer?: BackendProtectionObserver;
}

/**
 * Serves models from one or more Triton servers over KServe v2 gRPC.
 *
 * Discovery: RepositoryIndex on each healthy endpoint lists its ready models; a server without the
 * model_repository extension (UNIMPLEMENTED, e.g. another gateway) is asked ModelReady for each
 * model of the local MODEL_REPOSITORY instead. ModelMetadata + ModelConfig of each model then give
 * the same ModelMetadata the embedded backend builds. Discovery reruns when the pool's health
 * picture changes and every few health intervals, so models loaded into Triton later appear.
 *
 * A model stays known while no endpoint can answer for it, so its requests fail with unavailable
 * (503) rather than not_found (404); it is dropped only when every healthy endpoint has been asked
 * and none has it ready.
 *
 * The model_repository extension goes to Triton: load and unload to every endpoint (each holds its
 * own loaded models), the index from the first healthy one; after a load or unload discovery runs
 * at once, so the gateway serves the new versions from its next call.
 */
export class TritonBackend implements InferenceBackend, ModelStatisticsSource {
  readonly name = 'triton';
  private readonly logger = new Logger(TritonBackend.name);
  private readonly pool: EndpointPool;
  private readonly guarded: GuardedCalls;
  private readonly models = new Map<string, ModelMetadata>();
  /** Endpoints already reported as lacking RepositoryIndex (asked again each time: it may change). */
  private readonly withoutIndex = new Set<string>();
  private refreshing?: Promise<void>;
  private refreshAgain = false;
  private rediscovery?: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: TritonBackendOptions) {
    const clients = options.urls.map(
      (url) =>
        new TritonClient(url, {
          timeoutMs: options.timeoutMs,
          maxMessageBytes: options.maxMessageBytes,
          maxReconnectBackoffMs: options.healthIntervalMs,
          apiKey: options.apiKey,
        }),
    );
    const observer = options.observer ?? NO_PROTECTION_OBSERVER;
    this.pool = new EndpointPool(clients, {
      timeoutMs: options.timeoutMs,
      healthIntervalMs: options.healthIntervalMs,
      random: options.random,
      breaker: options.breaker,
      observer,
    });
    this.guarded = new GuardedCalls(
      this.pool,
      new RetryBudget(options.retryBudget ?? DEFAULT_RETRY_BUDGET),
      observer,
    );
  }

  /** Discovers what the endpoints serve now; an unreachable Triton is not an error (not ready yet). */
  async load(): Promise<void> {
    this.pool.onChange(() => void this.refresh());
    await this.refresh();
    this.pool.start();
    const every = Math.max(10_000, 5 * this.options.healthIntervalMs);
    this.rediscovery = setInterval(() => void this.refresh(), every);
    this.rediscovery.unref();
    if (!this.pool.anyHealthy()) {
      this.logger.warn(
        `no Triton endpoint reachable yet (${this.options.urls.join(', ')}); retrying every ${this.options.healthIntervalMs} ms`,
      );
    }
  }

  close(): Promise<void> {
    this.closed = true;
    clearInterval(this.rediscovery);
    this.pool.close();
    // A refresh in progress notices `closed`; its calls end with the channels just closed.
    return Promise.resolve();
  }

  isReady(): boolean {
    return this.pool.anyHealthy();
  }

  listModels(): ModelMetadata[] {
    return [...this.models.values()];
  }

  resolve(model: string, version: string): ResolvedTarget {
    return servedVersion(this.known(model), version);
  }

  topology({ model, metadata }: ResolvedTarget): BackendTopology {
    return {
      healthyEndpoints: this.pool.servingCount(model),
      instancesPerEndpoint: modelInstanceCount(metadata),
      remote: true,
      batchesItself: metadata.config.schedulingChoice.case === 'dynamicBatching',
    };
  }

  /** What the gateway knows of each endpoint now (operations, tests). */
  endpointStates(): {
    address: string;
    healthy: boolean;
    outstanding: number;
    breaker: BreakerState;
  }[] {
    return this.pool.endpoints.map((endpoint) => ({
      address: endpoint.address,
      healthy: endpoint.healthy,
      outstanding: endpoint.outstanding,
      breaker: endpoint.breaker.state,
    }));
  }

  /** Calls to Triton sent and not yet answered, over every endpoint. */
  outstandingCalls(): number {
    return this.pool.endpoints.reduce((sum, endpoint) => sum + endpoint.outstanding, 0);
  }

  isModelReady(model: string, version: string): boolean {
    const metadata = this.models.get(model);
    if (!metadata || (version !== '' && !metadata.versions.includes(version))) return false;
    return this.pool.isModelReady(model);
  }

  async infer(request: InferRequest): Promise<InferResponse> {
    const { version } = this.resolve(request.model, request.version);
    const message = inferRequestForTriton(request, version);
    const terms = { signal: request.signal, deadline: request.deadline };
    return this.guarded.call(request.model, terms, async (endpoint) => {
      const response = await endpoint.client.modelInfer(message, {
        ...terms,
        trace: request.trace,
      });
      try {
        return inferResponseFromProto(response);
      } catch (error) {
        throw new GatewayError(
          'internal',
          `Triton endpoint ${endpoint.address} sent an unreadable response: ${(error as Error).message}`,
        );
      }
    });
  }

  /**
   * Triton's own statistics of a served version, summed over the healthy endpoints (each counts
   * the calls it served); endpoints that cannot answer are left out, none answering is an error.
   */
  async modelStatistics(model: string, version: string): Promise<VersionStatistics> {
    const endpoints = this.pool.healthyEndpoints();
    if (endpoints.length === 0) {
      throw unavailable(`no healthy Triton endpoint to ask for the statistics of model '${model}'`);
    }
    const answers = await Promise.allSettled(
      endpoints.map((endpoint) =>
        this.pool.callOn(endpoint, (target) => target.client.modelStatistics(model, version)),
      ),
    );
    const parts: VersionStatistics[] = [];
    for (const answer of answers) {
      if (answer.status === 'rejected') continue;
      const own = answer.value.find((stats) => stats.name === model && stats.version === version);
      if (own) parts.push(statisticsFromProto(own));
    }
    if (parts.length === 0) {
      const failed = answers.find((answer) => answer.status === 'rejected');
      if (failed) throw failed.reason;
      throw unavailable(`no Triton endpoint has statistics of model '${model}' version ${version}`);
    }
    return sumStatistics(model, version, parts);
  }

  async repositoryIndex(readyOnly: boolean): Promise<RepositoryIndexEntry[]> {
    const [endpoint] = this.pool.healthyEndpoints();
    if (!endpoint) {
      throw unavailable('no healthy Triton endpoint to ask for the repository index');
    }
    const models = await this.pool.callOn(endpoint, (target) =>
      target.client.repositoryIndex({ ready: readyOnly }),
    );
    return models.map(({ name, version, state, reason }) =>
      isModelState(state) || state === ''
        ? { name, version, state, reason }
        : { name, version, state: 'UNAVAILABLE', reason: `Triton reports ${state}: ${reason}` },
    );
  }

  loadModel(model: string): Promise<void> {
    return this.controlEverywhere(`load of model '${model}'`, (endpoint, options) =>
      endpoint.client.repositoryModelLoad(model, {}, options),
    );
  }

  unloadModel(model: string): Promise<void> {
    return this.controlEverywhere(
      `unload of model '${model}'`,
      (endpoint, options) => endpoint.client.repositoryModelUnload(model, {}, options),
      // Triton answers while the model is still UNLOADING (and ModelReady may still say true):
      // every endpoint took the unload, so the gateway stops serving it now.
      () => this.models.delete(model),
    );
  }

  /** A load or unload on every endpoint, then discovery, whether all of them took it or not. */
  private async controlEverywhere(
    what: string,
    call: (endpoint: TritonEndpoint, options: { timeoutMs: number }) => Promise<void>,
    applied?: () => void,
  ): Promise<void> {
    const timeoutMs = Math.max(this.options.timeoutMs, MODEL_CONTROL_TIMEOUT_MS);
    try {
      await onEveryEndpoint(this.pool.endpoints, what, timeoutMs, (endpoint) =>
        call(endpoint, { timeoutMs }),
      );
      applied?.();
    } finally {
      await this.refresh();
    }
  }

  private known(model: string): ModelMetadata {
    const metadata = this.models.get(model);
    if (metadata) return metadata;
    // Nothing to ask: the model may well exist, the gateway just cannot tell.
    if (!this.pool.anyHealthy())
      throw unavailable(`no healthy Triton endpoint for model '${model}'`);
    throw notFound(`unknown model '${model}'`);
  }

  /** Single-flight: a refresh asked for while one runs makes that one run once more. */
  private refresh(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.refreshAgain = false;
        await this.discover().catch((error: unknown) =>
          this.logger.error(`Triton discovery failed: ${describeFailure(error)}`),
        );
      } while (this.refreshAgain && !this.closed);
    })().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async discover(): Promise<void> {
    await this.pool.checkNow();
    const healthy = this.pool.healthyEndpoints();
    if (healthy.length === 0 || this.closed) return;
    const listed = await Promise.all(healthy.map((endpoint) => this.modelNamesOn(endpoint)));
    const names = new Set([...this.models.keys(), ...listed.flatMap((list) => list ?? [])]);
    this.pool.setModels(names);
    await this.pool.checkNow();

    for (const name of names) {
      if (this.closed) return;
      if (!this.pool.isModelReady(name)) {
        const everyoneAsked = listed.every((list) => list !== undefined);
        if (everyoneAsked && this.pool.anyHealthy() && this.models.delete(name)) {
          this.logger.warn(`model '${name}' is no longer ready on any Triton endpoint`);
        }
        continue;
      }
      await this.fetchMetadata(name);
    }
  }

  /** The models an endpoint lists as ready, or undefined when it could not be asked. */
  private async modelNamesOn(endpoint: TritonEndpoint): Promise<string[] | undefined> {
    let index: RepositoryIndexResponse_ModelIndex[] | undefined;
    try {
      index = await this.pool.callOn(endpoint, (target) =>
        target.client.repositoryIndex({ ready: true }).catch((error: unknown) => {
          if (isServiceError(error) && error.code === status.UNIMPLEMENTED) return undefined;
          throw error;
        }),
      );
    } catch (error) {
      if (!this.closed) {
        this.logger.warn(
          `RepositoryIndex on ${endpoint.address} failed: ${describeFailure(error)}`,
        );
      }
      return undefined;
    }
    if (index) {
      this.withoutIndex.delete(endpoint.address);
      return index.filter((model) => model.state === 'READY').map((model) => model.name);
    }
    if (!this.withoutIndex.has(endpoint.address)) {
      this.withoutIndex.add(endpoint.address);
      this.logger.log(
        `Triton endpoint ${endpoint.address} has no RepositoryIndex; asking it about the models in ${this.options.repository}`,
      );
    }
    return localModelNames(this.options.repository);
  }

  private async fetchMetadata(name: string): Promise<void> {
    try {
      const metadata = await this.pool.call(name, async (endpoint) => {
        const [described, config] = await Promise.all([
          endpoint.client.modelMetadata(name),
          endpoint.client.modelConfig(name),
        ]);
        return toModelMetadata(
          described,
          config,
          await readLocalLabels(this.options.repository, config),
        );
      });
      if (!this.models.has(name)) {
        this.logger.log(
          `model '${name}' versions ${metadata.versions.join(', ')} served by Triton`,
        );
      }
      this.models.set(name, metadata);
    } catch (error) {
      if (this.closed) return;
      this.logger.warn(`metadata of model '${name}' not refreshed: ${describeFailure(error)}`);
    }
  }
}
