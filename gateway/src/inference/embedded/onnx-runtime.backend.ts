import { Logger } from '@nestjs/common';
import { loadModelRepository, fullShape, type ModelDefinition } from '@model-repository';
import * as ort from 'onnxruntime-node';
import { GatewayError, invalidArgument, notFound } from '../../errors/gateway-error';
import type {
  InferenceBackend,
  InferRequest,
  InferResponse,
  ModelMetadata,
} from '../inference-backend';
import type { InferTensor, NumericTensorData } from '../tensor';
import { datatypeOfOrtType, ortTypeOf } from './ort-tensor-types';

interface LoadedModel {
  definition: ModelDefinition;
  metadata: ModelMetadata;
  sessions: Map<string, ort.InferenceSession>;
}

export interface OnnxRuntimeBackendOptions {
  repository: string;
  intraOpThreads: number;
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

  constructor(private readonly options: OnnxRuntimeBackendOptions) {}

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
      const sessions = new Map<string, ort.InferenceSession>();
      for (const version of definition.versions) {
        if (!definition.servedVersions.includes(version.version)) continue;
        sessions.set(version.version, await this.createSession(version.modelFile));
        this.logger.log(
          `loaded ${definition.name} version ${version.version} (${version.sha256.slice(0, 12)})`,
        );
      }
      this.models.set(definition.name, { definition, metadata: toMetadata(definition), sessions });
    }
    this.ready = true;
  }

  async close(): Promise<void> {
    this.ready = false;
    for (const model of this.models.values()) {
      for (const session of model.sessions.values()) await session.release();
    }
    this.models.clear();
  }

  isReady(): boolean {
    return this.ready;
  }

  listModels(): ModelMetadata[] {
    return [...this.models.values()].map((model) => model.metadata);
  }

  modelMetadata(model: string): ModelMetadata {
    return this.loaded(model).metadata;
  }

  resolveVersion(model: string, version: string): string {
    const loaded = this.loaded(model);
    if (version === '') return loaded.metadata.versions[loaded.metadata.versions.length - 1];
    if (!loaded.sessions.has(version)) {
      throw notFound(
        `model '${model}' has no version '${version}' (served: ${loaded.metadata.versions.join(', ')})`,
      );
    }
    return version;
  }

  isModelReady(model: string, version: string): boolean {
    const loaded = this.models.get(model);
    if (!loaded) return false;
    return version === '' ? loaded.sessions.size > 0 : loaded.sessions.has(version);
  }

  async infer(request: InferRequest): Promise<InferResponse> {
    const loaded = this.loaded(request.model);
    const version = this.resolveVersion(request.model, request.version);
    const session = loaded.sessions.get(version);
    if (!session) throw notFound(`model '${request.model}' version '${version}' is not loaded`);

    const feeds: Record<string, ort.Tensor> = {};
    for (const input of request.inputs) feeds[input.name] = toOrtTensor(input);
    const wanted =
      request.outputs.length > 0
        ? request.outputs
        : loaded.metadata.outputs.map((output) => output.name);
    let results: ort.InferenceSession.ReturnType;
    try {
      results = await session.run(feeds, wanted);
    } catch (error) {
      // ONNX Runtime rejects inputs our validation let through only for model-internal reasons.
      throw new GatewayError(
        'invalid_argument',
        `model '${request.model}' rejected the request: ${(error as Error).message}`,
      );
    }
    return {
      model: request.model,
      version,
      id: request.id,
      outputs: wanted.map((name) => fromOrtTensor(name, results[name])),
    };
  }

  private loaded(model: string): LoadedModel {
    const loaded = this.models.get(model);
    if (!loaded) throw notFound(`unknown model '${model}'`);
    return loaded;
  }

  private createSession(file: string): Promise<ort.InferenceSession> {
    return ort.InferenceSession.create(file, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: this.options.intraOpThreads,
    });
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

function toOrtTensor(tensor: InferTensor): ort.Tensor {
  const type = ortTypeOf(tensor.datatype);
  if (!type)
    throw invalidArgument(
      `input '${tensor.name}': datatype ${tensor.datatype} is not supported by the embedded backend`,
    );
  if (Array.isArray(tensor.data)) {
    const decoder = new TextDecoder();
    return new ort.Tensor(
      'string',
      tensor.data.map((element) => decoder.decode(element)),
      tensor.shape,
    );
  }
  if (type === 'bool') {
    return new ort.Tensor(
      'bool',
      new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength),
      tensor.shape,
    );
  }
  return new ort.Tensor(type, tensor.data as never, tensor.shape);
}

function fromOrtTensor(name: string, tensor: ort.Tensor | undefined): InferTensor {
  if (!tensor) throw new GatewayError('internal', `the model produced no output '${name}'`);
  const datatype = datatypeOfOrtType(tensor.type);
  if (!datatype)
    throw new GatewayError('internal', `output '${name}' has unsupported type ${tensor.type}`);
  const shape = tensor.dims.map(Number);
  if (datatype === 'BYTES') {
    const encoder = new TextEncoder();
    return {
      name,
      datatype,
      shape,
      data: (tensor.data as string[]).map((text) => encoder.encode(text)),
    };
  }
  return { name, datatype, shape, data: tensor.data as NumericTensorData };
}
