import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { Gauge } from 'prom-client';
import { CONFIG_SLICE, type ConfigSlice } from '../config/gateway-config';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { INFERENCE_BACKEND, type InferenceBackend } from '../request-path/inference-backend';
import type { RepositoryIndexEntry } from '../request-path/model-repository-control';

/** How often the repository index (each model's state and reason) is read again. */
const INDEX_REFRESH_MS = 5_000;

/** A required model that does not serve now, and why (the repository index's reason). */
export interface UnreadyModel {
  name: string;
  state: string;
  reason: string;
}

export interface ReadinessReport {
  ready: boolean;
  backendReady: boolean;
  /** Required models not serving now; empty when ready. */
  unready: UnreadyModel[];
}

/**
 * Whether the gateway is ready, like Triton's --strict-readiness: the backend is up and every
 * required model (GATEWAY_REQUIRED_MODELS) serves. Every readiness answer (`/readyz`, KServe
 * server ready on both protocols, gRPC health) asks this one place. Checks read memory only:
 * each model's state comes from the backend (`isModelReady`), its reason from the repository
 * index, which is read at start, every few seconds, and whenever a required model is unready.
 */
@Injectable()
export class ServingReadiness implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ServingReadiness.name);
  private index: RepositoryIndexEntry[] = [];
  private timer?: NodeJS.Timeout;
  private reading?: Promise<void>;
  private lastUnready = '';

  constructor(
    @Inject(INFERENCE_BACKEND) private readonly backend: InferenceBackend,
    @Inject(CONFIG_SLICE.requiredModels) private readonly required: ConfigSlice<'requiredModels'>,
    metrics: GatewayMetrics,
  ) {
    const gauge: Gauge<'model' | 'state'> = new Gauge({
      name: 'gateway_model_ready',
      help: 'Whether each model of the repository serves (1) or not (0), from the repository index.',
      labelNames: ['model', 'state'] as const,
      registers: [metrics.registry],
      collect: () => {
        gauge.reset();
        for (const entry of this.modelStates()) {
          gauge.set({ model: entry.name, state: entry.state || 'UNKNOWN' }, entry.ready ? 1 : 0);
        }
      },
    });
  }

  async onModuleInit(): Promise<void> {
    await this.readIndex();
    this.timer = setInterval(() => void this.readIndex(), INDEX_REFRESH_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  isReady(): boolean {
    return this.report().ready;
  }

  /**
   * The report, with the reasons read again from the repository index when something required is
   * unready (a load or unload since the last read): the ready path costs no read.
   */
  async freshReport(): Promise<ReadinessReport> {
    const report = this.report();
    if (report.ready || !report.backendReady) return report;
    await this.readIndex();
    return this.report();
  }

  /** failedLoad, with the index read again first (the model may have changed since). */
  async freshFailedLoad(name: string): Promise<UnreadyModel | undefined> {
    if (this.backend.isModelReady(name, '')) return undefined;
    await this.readIndex();
    return this.failedLoad(name);
  }

  report(): ReadinessReport {
    let backendReady: boolean;
    try {
      backendReady = this.backend.isReady();
    } catch {
      backendReady = false; // a backend that cannot say is not ready
    }
    const unready = backendReady
      ? this.requiredNames()
          .filter((name) => !this.backend.isModelReady(name, ''))
          .map((name) => this.whyUnready(name))
      : [];
    this.noteChange(unready);
    return { ready: backendReady && unready.length === 0, backendReady, unready };
  }

  /**
   * The repository's model `name` when it serves no version now and was not unloaded on request
   * (that one is simply unknown, as in Triton), with the index's reason.
   */
  failedLoad(name: string): UnreadyModel | undefined {
    if (this.backend.isModelReady(name, '')) return undefined;
    const indexed = this.indexedUnready(name);
    return indexed && !isUnloaded(indexed) ? indexed : undefined;
  }

  /** `*`: every model the index lists but those unloaded on request (an operator's choice). */
  private requiredNames(): readonly string[] {
    if (this.required !== '*') return this.required;
    const names = new Set<string>();
    for (const entry of this.index) {
      if (!isUnloaded(entry)) names.add(entry.name);
    }
    return [...names];
  }

  private whyUnready(name: string): UnreadyModel {
    const indexed = this.indexedUnready(name);
    if (indexed) return indexed;
    // The index was read before the model changed: read it again for the next answer.
    void this.readIndex();
    return { name, state: 'UNAVAILABLE', reason: 'not loaded' };
  }

  private indexedUnready(name: string): UnreadyModel | undefined {
    const entry = this.index.find((candidate) => candidate.name === name);
    if (!entry || entry.state === 'READY') return undefined;
    return { name, state: entry.state || 'UNAVAILABLE', reason: entry.reason || 'not loaded' };
  }

  private modelStates(): { name: string; state: string; ready: boolean }[] {
    const names = [...new Set(this.index.map((entry) => entry.name))];
    return names.map((name) => {
      const ready = this.backend.isModelReady(name, '');
      const entry = this.index.find((candidate) => candidate.name === name);
      return { name, state: ready ? 'READY' : entry?.state || 'UNAVAILABLE', ready };
    });
  }

  /** Logs each change of the unready set once, with the reasons, not every probe. */
  private noteChange(unready: UnreadyModel[]): void {
    const key = unready.map((model) => `${model.name}:${model.reason}`).join('|');
    if (key === this.lastUnready) return;
    this.lastUnready = key;
    if (unready.length === 0) {
      this.logger.log('every required model serves');
      return;
    }
    const list = unready.map((model) => `'${model.name}' (${model.state}: ${model.reason})`);
    this.logger.warn(`not ready: required models not serving: ${list.join(', ')}`);
  }

  /** Reads the repository index again now (after a load or unload), after any read under way. */
  async refresh(): Promise<void> {
    await this.reading;
    await this.readIndex();
  }

  /** Single-flight; a backend that cannot list now (Triton away) keeps the last index. */
  private readIndex(): Promise<void> {
    this.reading ??= this.backend
      .repositoryIndex(false)
      .then((index) => {
        this.index = index;
      })
      .catch(() => undefined)
      .finally(() => {
        this.reading = undefined;
      });
    return this.reading;
  }
}

/** Why the gateway is not ready, in one line (KServe server ready's error). */
export function notReadyMessage(backendReady: boolean, unready: readonly UnreadyModel[]): string {
  if (!backendReady) return 'the inference backend is not ready';
  const list = unready.map((model) => `'${model.name}' (${model.reason})`).join(', ');
  return `required models are not ready: ${list}`;
}

function isUnloaded(entry: { state: string; reason: string }): boolean {
  return entry.state === 'UNAVAILABLE' && entry.reason === 'unloaded';
}
