import { Logger } from '@nestjs/common';
import { loadModelRepository, fullShape, type ModelDefinition } from '@model-repository';
import { DEFAULT_BREAKER_SETTINGS, type BreakerSettings } from '../../breakers/breaker-settings';
import {
  NO_PROTECTION_OBSERVER,
  type BackendProtectionObserver,
} from '../../breakers/breaker-metrics';
import { BreakerRefusal, EndpointBreaker } from '../../breakers/endpoint-breaker';
import { GatewayError, invalidArgument, notFound } from '../../errors/gateway-error';
import type {
  InferenceBackend,
  InferRequest,
  InferResponse,
  ModelMetadata,
} from '../../request-path/inference-backend';
import { BytesTensorData, type InferTensor, type NumericTensorData } from '../tensor';
import type { BackendTopology } from '../../request-path/backend-topology';
import { modelInstanceCount } from '../model-instances';
import { servedVersion } from '../resolve-version';
import type { ResolvedTarget } from '../../request-path/resolved-target';
import { OrtInstancePool } from './ort-instance-pool';
import { datatypeOfOrtType, ortTypeOf } from './ort-tensor-types';
import type { WireTensor } from './ort-worker-protocol';

interface LoadedModel {
  definition: ModelDefinition;
  metadata: ModelMetadata;
  /** Served version → its instances (worker threads), as many as the instance_group counts. */
  pools: Map<string, OrtInstancePool>;
}

export interface OnnxRuntimeBackendOptions {
  repository: string;
  intraOpThreads: number;
  /** The circuit breaker of the backend's one "endpoint", ONNX Runtime in this process. */
  breaker?: BreakerSettings;
  observer?: BackendProtectionObserver;
}

/**
 * Serves a Triton model repository in-process with ONNX Runtime: the same `config.pbtxt` files and
 * version folders Triton would load, so switching to Triton changes where models run, not what runs.
 */
export class OnnxRuntimeBackend implements InferenceBackend {
  readonly name = 'embedded-onnxruntime';
  private readonly logger = new Logger(OnnxRuntimeBackend.name);
  private readonly models = new Map<string, LoadedModel>();
  private ready = false;
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

  async load(): Promise<void> {
    const snapshot = await loadModelRepository(this.options.repository);
    for (const error of snapshot.errors) {
      this.logger.error(`model '${error.model}' not loaded: ${error.message}`);
    }
    for (const definition of snapshot.models) {
      if (definition.unsupportedReason) {
        this.logger.warn(`model '${definition.name}' skipped: ${definition.unsupportedReason}`);
        continue;
      }
      const pools = new Map<string, OrtInstancePool>();
      const instances = instanceCount(definition);
      for (const version of definition.versions) {
        if (!definition.servedVersions.includes(version.version)) continue;
        const label = `model '${definition.name}' version ${version.version}`;
        const pool = await OrtInstancePool.start(
          label,
          { modelFile: version.modelFile, intraOpThreads: this.options.intraOpThreads },
          instances,
        );
        pools.set(version.version, pool);
        this.logger.log(
          `loaded ${label} (${version.sha256.slice(0, 12)}), ${pool.size} instance(s)`,
        );
      }
      this.models.set(definition.name, { definition, metadata: toMetadata(definition), pools });
    }
    this.ready = true;
  }

  async close(): Promise<void> {
    this.ready = false;
    this.breaker.close();
    for (const model of this.models.values()) {
      for (const pool of model.pools.values()) await pool.close();
    }
    this.models.clear();
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
    const { version } = this.resolve(request.model, request.version);
    const pool = loaded.pools.get(version);
    if (!pool) throw notFound(`model '${request.model}' version '${version}' is not loaded`);

    const wanted =
      request.outputs.length > 0
        ? request.outputs
        : loaded.metadata.outputs.map((output) => output.name);
    const feeds = request.inputs.map(toWire);
    const outputs = await this.breaker
      .run(() => pool.run(feeds, wanted, request.deadline), request)
      .catch((error: unknown) => {
        if (error instanceof BreakerRefusal) this.observer.fastFail(request.model);
        throw error;
      });
    return { model: request.model, version, id: request.id, outputs: outputs.map(fromWire) };
  }

  private loaded(model: string): LoadedModel {
    const loaded = this.models.get(model);
    if (!loaded) throw notFound(`unknown model '${model}'`);
    return loaded;
  }
}

function toMetadata(definition: ModelDefinition): ModelMetadata {
  const parameters: Record<string, string> = {};
  for (const [key, value] of Object.entries(definition.config.parameters)) {
    parameters[key] = value.stringValue;
  }
  return {
    name: definition.name,
    versions: definition.servedVersions,
    platform: definition.platform || 'onnxruntime_onnx',
    maxBatchSize: definition.maxBatchSize,
    inputs: definition.inputs.map((spec) => ({
      name: spec.name,
      datatype: spec.datatype,
      shape: fullShape(spec, definition.maxBatchSize),
    })),
    outputs: definition.outputs.map((spec) => ({
      name: spec.name,
      datatype: spec.datatype,
      shape: fullShape(spec, definition.maxBatchSize),
    })),
    labels: definition.labels,
    parameters,
    config: definition.config,
  };
}

/** Triton's instance_group: how many instances of the model to run (at least one). */
function instanceCount(definition: ModelDefinition): number {
  const total = definition.config.instanceGroup.reduce(
    (sum, group) => sum + Math.max(1, group.count),
    0,
  );
  return Math.max(1, total);
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
