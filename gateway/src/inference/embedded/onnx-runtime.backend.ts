import { Logger } from '@nestjs/common';
import { listModelDirectories, loadModel, loadModelRepository } from '@model-repository';
import { DEFAULT_BREAKER_SETTINGS, type BreakerSettings } from '../../breakers/breaker-settings';
import {
  NO_PROTECTION_OBSERVER,
  type BackendProtectionObserver,
} from '../../breakers/breaker-metrics';
import { BreakerRefusal, EndpointBreaker } from '../../breakers/endpoint-breaker';
import { GatewayError, invalidArgument, notFound, unavailable } from '../../errors/gateway-error';
import type {
  InferenceBackend,
  InferRequest,
  InferResponse,
  ModelMetadata,
} from '../../request-path/inference-backend';
import {
  MODEL_CONTROL_DISABLED,
  type ModelState,
  type RepositoryIndexEntry,
} from '../../request-path/model-repository-control';
import { BytesTensorData, type InferTensor, type NumericTensorData } from '../tensor';
import type { BackendTopology } from '../../request-path/backend-topology';
import { modelInstanceCount } from '../model-instances';
import { servedVersion } from '../resolve-version';
import type { ResolvedTarget } from '../../request-path/resolved-target';
import { KeyedSerial } from './keyed-serial';
import { LoadedModel } from './loaded-model';
import { datatypeOfOrtType, ortTypeOf } from './ort-tensor-types';
import type { WireTensor } from './ort-worker-protocol';

export interface OnnxRuntimeBackendOptions {
  repository: string;
  intraOpThreads: number;
  /**
   * explicit (default): loadModel/unloadModel change what is served; none: they are refused, as
   * Triton refuses them in that mode. Either way every model is loaded at start.
   */
  modelControl?: 'explicit' | 'none';
  /** The circuit breaker of the backend's one "endpoint", ONNX Runtime in this process. */
  breaker?: BreakerSettings;
  observer?: BackendProtectionObserver;
}

/** Why a model folder serves nothing now (index entries), for folders that are not loaded. */
interface FolderStatus {
  state: Exclude<ModelState, 'READY' | 'UNLOADING'>;
  reason: string;
}

/**
 * Serves a Triton model repository in-process with ONNX Runtime: the same `config.pbtxt` files and
 * version folders Triton would load, so switching to Triton changes where models run, not what runs.
 *
 * The model_repository extension works as Triton's explicit mode: loadModel re-reads one model
 * folder and swaps the new load in at once (a failed load leaves the old one serving);
 * unloadModel takes it out. A call holds the load it started on until it ends (LoadedModel), so
 * swapped-out sessions close only after their last call.
 */
export class OnnxRuntimeBackend implements InferenceBackend {
  readonly name = 'embedded-onnxruntime';
  private readonly logger = new Logger(OnnxRuntimeBackend.name);
  private readonly models = new Map<string, LoadedModel>();
  /** Folders that serve nothing now, and why (failed load, unloaded, loading). */
  private readonly folders = new Map<string, FolderStatus>();
  private readonly changes = new KeyedSerial();
  private ready = false;
  private closed = false;
  private readonly observer: BackendProtectionObserver;
  /**
   * Opens when runs keep failing in ways that say the runtime is sick (instances dying), so that
   * callers get a fast 503 with Retry-After instead of queueing behind a broken runtime.
   */
  private readonly breaker: EndpointBreaker;

  constructor(private readonly options: OnnxRuntimeBackendOptions) {
    this.observer = options.observer ?? NO_PROTECTION_OBSERVER;
    this.breaker = new EndpointBreaker(
      'embedded',
      'the embedded ONNX Runtime',
      options.breaker ?? DEFAULT_BREAKER_SETTINGS,
      this.observer,
    );
  }

  /** Loads every model of the repository; one that cannot load is UNAVAILABLE, never fatal. */
  async load(): Promise<void> {
    this.closed = false;
    const snapshot = await loadModelRepository(this.options.repository);
    for (const error of snapshot.errors) {
      this.logger.error(`model '${error.model}' not loaded: ${error.message}`);
      this.folders.set(error.model, { state: 'UNAVAILABLE', reason: error.message });
    }
    for (const definition of snapshot.models) {
      if (definition.unsupportedReason) {
        this.logger.warn(`model '${definition.name}' skipped: ${definition.unsupportedReason}`);
        this.folders.set(definition.name, {
          state: 'UNAVAILABLE',
          reason: definition.unsupportedReason,
        });
        continue;
      }
      try {
        this.install(await LoadedModel.start(definition, this.options.intraOpThreads));
      } catch (error) {
        this.logger.error(`model '${definition.name}' not loaded: ${messageOf(error)}`);
        this.folders.set(definition.name, { state: 'UNAVAILABLE', reason: messageOf(error) });
      }
    }
    this.ready = true;
  }

  async close(): Promise<void> {
    this.ready = false;
    this.closed = true;
    this.breaker.close();
    const loaded = [...this.models.values()];
    this.models.clear();
    await Promise.all(loaded.map((model) => model.retire()));
  }

  isReady(): boolean {
    return this.ready;
  }

  listModels(): ModelMetadata[] {
    return [...this.models.values()].map((model) => model.metadata);
  }

  resolve(model: string, version: string): ResolvedTarget {
    return servedVersion(this.loaded(model).metadata, version);
  }

  topology({ model, version, metadata }: ResolvedTarget): BackendTopology {
    return {
      healthyEndpoints: this.isModelReady(model, version) ? 1 : 0,
      instancesPerEndpoint: modelInstanceCount(metadata),
      remote: false,
      batchesItself: false,
    };
  }

  isModelReady(model: string, version: string): boolean {
    const loaded = this.models.get(model);
    if (!loaded) return false;
    return version === '' ? loaded.pools.size > 0 : loaded.pools.has(version);
  }

  async infer(request: InferRequest): Promise<InferResponse> {
    // Work nobody waits for any more is not started (the admit stage answers such callers itself).
    if (request.signal?.aborted) {
      throw new GatewayError('cancelled', 'the caller cancelled the request');
    }
    if (request.deadline !== undefined && Date.now() >= request.deadline) {
      throw new GatewayError(
        'deadline_exceeded',
        `the deadline passed before '${request.model}' ran`,
      );
    }
    const loaded = this.loaded(request.model);
    const { version } = servedVersion(loaded.metadata, request.version);
    const pool = loaded.pools.get(version);
    if (!pool) throw notFound(`model '${request.model}' version '${version}' is not loaded`);

    const wanted =
      request.outputs.length > 0
        ? request.outputs
        : loaded.metadata.outputs.map((output) => output.name);
    const feeds = request.inputs.map(toWire);
    // Held until the run ends: a reload or unload meanwhile closes these sessions only afterwards.
    const release = loaded.acquire();
    try {
      const outputs = await this.breaker
        .run(() => pool.run(feeds, wanted, request.deadline), request)
        .catch((error: unknown) => {
          if (error instanceof BreakerRefusal) this.observer.fastFail(request.model);
          throw error;
        });
      return { model: request.model, version, id: request.id, outputs: outputs.map(fromWire) };
    } finally {
      release();
    }
  }

  async repositoryIndex(readyOnly: boolean): Promise<RepositoryIndexEntry[]> {
    const names = new Set([...(await this.modelFolders()), ...this.models.keys()]);
    const entries: RepositoryIndexEntry[] = [];
    for (const name of [...names].sort()) {
      const loaded = this.models.get(name);
      if (loaded) {
        for (const version of loaded.metadata.versions) {
          entries.push({ name, version, state: 'READY', reason: '' });
        }
        continue;
      }
      const folder = this.folders.get(name);
      entries.push({ name, version: '', state: folder?.state ?? '', reason: folder?.reason ?? '' });
    }
    return readyOnly ? entries.filter((entry) => entry.state === 'READY') : entries;
  }

  async loadModel(model: string): Promise<void> {
    this.checkControl();
    if (!(await this.modelFolders()).includes(model)) {
      throw notFound(
        `failed to load '${model}': the model repository ${this.options.repository} has no folder '${model}'`,
      );
    }
    await this.changes.run(model, () => this.reload(model));
  }

  async unloadModel(model: string): Promise<void> {
    this.checkControl();
    if (!this.models.has(model) && !(await this.modelFolders()).includes(model)) {
      throw notFound(`failed to unload '${model}': no such model in the model repository`);
    }
    await this.changes.run(model, () => {
      const loaded = this.models.get(model);
      this.models.delete(model);
      this.folders.set(model, { state: 'UNAVAILABLE', reason: 'unloaded' });
      if (loaded) {
        this.logger.log(`model '${model}' unloaded; its sessions close after their calls`);
        void loaded.retire();
      }
      return Promise.resolve();
    });
  }

  /** Reads the model's folder again and swaps the new load in; the old one serves on if it fails. */
  private async reload(model: string): Promise<void> {
    const serving = this.models.get(model);
    if (!serving) this.folders.set(model, { state: 'LOADING', reason: '' });
    let fresh: LoadedModel;
    try {
      const definition = await loadModel(this.options.repository, model);
      if (definition.unsupportedReason) throw new Error(definition.unsupportedReason);
      fresh = await LoadedModel.start(definition, this.options.intraOpThreads);
    } catch (error) {
      const reason = messageOf(error);
      if (!serving) this.folders.set(model, { state: 'UNAVAILABLE', reason });
      const still = serving ? `; versions ${serving.metadata.versions.join(', ')} still serve` : '';
      throw invalidArgument(`failed to load '${model}': ${reason}${still}`);
    }
    if (this.closed) {
      await fresh.retire();
      throw unavailable(`failed to load '${model}': the backend is shutting down`);
    }
    this.install(fresh);
    if (serving) void serving.retire();
  }

  private install(loaded: LoadedModel): void {
    const { definition } = loaded;
    this.models.set(definition.name, loaded);
    this.folders.delete(definition.name);
    for (const version of definition.versions) {
      const pool = loaded.pools.get(version.version);
      if (!pool) continue;
      this.logger.log(
        `loaded model '${definition.name}' version ${version.version} (${version.sha256.slice(0, 12)}), ${pool.size} instance(s)`,
      );
    }
  }

  private checkControl(): void {
    if (this.options.modelControl === 'none') throw unavailable(MODEL_CONTROL_DISABLED);
  }

  /** Folder names of the repository now; none when it cannot be read (it may be remounting). */
  private async modelFolders(): Promise<string[]> {
    try {
      return await listModelDirectories(this.options.repository);
    } catch (error) {
      this.logger.warn(`model repository not readable: ${messageOf(error)}`);
      return [];
    }
  }

  private loaded(model: string): LoadedModel {
    const loaded = this.models.get(model);
    if (!loaded) throw notFound(`unknown model '${model}'`);
    return loaded;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function toWire(tensor: InferTensor): WireTensor {
  const type = ortTypeOf(tensor.datatype);
  if (!type) {
    throw invalidArgument(
      `input '${tensor.name}': datatype ${tensor.datatype} is not supported by the embedded backend`,
    );
  }
  const decoder = new TextDecoder();
  const data =
    tensor.data instanceof BytesTensorData
      ? Array.from(tensor.data.elements(), (element) => decoder.decode(element))
      : tensor.data;
  return { name: tensor.name, type, dims: tensor.shape, data };
}

function fromWire(tensor: WireTensor): InferTensor {
  const datatype = datatypeOfOrtType(tensor.type);
  if (!datatype) {
    throw new GatewayError(
      'internal',
      `output '${tensor.name}' has unsupported type ${tensor.type}`,
    );
  }
  const shape = tensor.dims.map(Number);
  if (datatype === 'BYTES') {
    const encoder = new TextEncoder();
    const data = BytesTensorData.of((tensor.data as string[]).map((text) => encoder.encode(text)));
    return { name: tensor.name, datatype, shape, data };
  }
  return { name: tensor.name, datatype, shape, data: tensor.data as NumericTensorData };
}
