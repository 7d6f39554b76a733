import { create, type MessageInitShape, type MessageShape } from '@bufbuild/protobuf';
import {
  Client,
  credentials,
  InterceptingCall,
  status,
  type ClientDuplexStream,
  type Interceptor,
  type MethodDefinition,
  type ServiceError,
} from '@grpc/grpc-js';
import { clientDefinition } from '@contracts/grpc/service-definition';
import { EncodedMessage } from '@contracts/grpc/encoded-message';
import { bulkBytesParts } from '@contracts/grpc/bulk-bytes-encoder';
import {
  GRPCInferenceService,
  ModelInferRequestSchema,
  type ModelInferRequest,
  type ModelMetadataResponse,
  type ModelStatistics,
  type ModelRepositoryParameterSchema,
  type ModelStreamInferResponse,
  type RepositoryIndexResponse_ModelIndex,
} from '@contracts/generated/inference/grpc_service_pb';
import type { ModelConfig } from '@contracts/generated/inference/model_config_pb';
import type { TraceHeaders } from '../../request-path/call-trace';
import { GrpcUnaryChannel, onAbort, serviceError } from './grpc-unary-channel';

type Methods = (typeof GRPCInferenceService)['method'];
type UnaryMethod = {
  [K in keyof Methods]: Methods[K]['methodKind'] extends 'unary' ? K : never;
}[keyof Methods];
type RequestInit<K extends keyof Methods> = MessageInitShape<Methods[K]['input']>;
type Response<K extends keyof Methods> = MessageShape<Methods[K]['output']>;

export interface TritonClientOptions {
  /** Deadline of a call that names none. */
  timeoutMs: number;
  /** Largest message sent or accepted (requests carry whole tensors). */
  maxMessageBytes: number;
  /**
   * Longest wait between reconnection attempts once the server went away; grpc-js would otherwise
   * back off to two minutes, and a restarted server would stay unused that long.
   */
  maxReconnectBackoffMs: number;
  /**
   * Sent as `x-api-key` metadata on every call: for a Triton behind an authenticating proxy, or
   * another gateway used as the backend. Never logged.
   */
  apiKey?: string;
}

export interface CallOptions {
  /** Overrides the client's default deadline for this call. */
  timeoutMs?: number;
  /**
   * When the caller stops waiting (ms since the epoch): the call's gRPC deadline is the earlier of
   * this and now + the timeout, so Triton stops working on a request nobody waits for any more.
   */
  deadline?: number;
  /** Aborting cancels the call (the caller went away): it fails with CANCELLED. */
  signal?: AbortSignal;
  /** ModelInfer: W3C trace context sent as `traceparent` / `tracestate` metadata (Triton's OpenTelemetry mode reads it). */
  trace?: TraceHeaders;
}

/**
 * One Triton server's KServe v2 gRPC API; every call has a deadline. ModelInfer goes over its own
 * HTTP/2 session (GrpcUnaryChannel: its tensors are written without being copied into one framed
 * message); everything else over one reused grpc-js channel.
 */
export class TritonClient {
  private static readonly definition = clientDefinition(GRPCInferenceService);
  private static readonly inferParts = bulkBytesParts(ModelInferRequestSchema);
  private readonly client: Client;
  private readonly inferChannel: GrpcUnaryChannel;
  /** What apiKeyInterceptor adds to a grpc-js call, as headers for the infer channel. */
  private readonly inferMetadata: Record<string, string>;

  constructor(
    readonly address: string,
    private readonly options: TritonClientOptions,
  ) {
    this.client = new Client(address, credentials.createInsecure(), {
      'grpc.max_send_message_length': options.maxMessageBytes,
      'grpc.max_receive_message_length': options.maxMessageBytes,
      // Pings only while calls are open, no more often than every 30 s: Triton's defaults count
      // idle pings as abuse and close the connection. Dead servers are found by the health checks.
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.keepalive_permit_without_calls': 0,
      'grpc.initial_reconnect_backoff_ms': Math.min(1000, options.maxReconnectBackoffMs),
      'grpc.max_reconnect_backoff_ms': options.maxReconnectBackoffMs,
      // HTTP/2's default 64 KiB window would make a 2 MB tensor answer wait for ~30 window
      // updates; a window as large as the largest message lets Triton send it in one go.
      'grpc-node.flow_control_window': options.maxMessageBytes,
      // An interceptor rather than a Metadata argument per call (see unary(): realm-safe options).
      interceptors: options.apiKey ? [apiKeyInterceptor(options.apiKey)] : [],
    });
    this.inferChannel = new GrpcUnaryChannel(address, { maxMessageBytes: options.maxMessageBytes });
    this.inferMetadata = options.apiKey ? { 'x-api-key': options.apiKey } : {};
  }

  async serverReady(options?: CallOptions): Promise<boolean> {
    return (await this.unary('serverReady', {}, options)).ready;
  }

  async modelReady(name: string, version = '', options?: CallOptions): Promise<boolean> {
    return (await this.unary('modelReady', { name, version }, options)).ready;
  }

  modelMetadata(name: string, version = '', options?: CallOptions): Promise<ModelMetadataResponse> {
    return this.unary('modelMetadata', { name, version }, options);
  }

  async modelConfig(name: string, version = '', options?: CallOptions): Promise<ModelConfig> {
    const { config } = await this.unary('modelConfig', { name, version }, options);
    if (!config) throw new Error(`Triton at ${this.address} sent no config for model '${name}'`);
    return config;
  }

  /** Triton's statistics extension: '' names every model, or every version of the model. */
  async modelStatistics(
    name: string,
    version = '',
    options?: CallOptions,
  ): Promise<ModelStatistics[]> {
    return (await this.unary('modelStatistics', { name, version }, options)).modelStats;
  }

  /** An EncodedMessage (a caller's own ModelInferRequest bytes) is sent as it is. */
  async modelInfer(
    request: ModelInferRequest | EncodedMessage,
    options?: CallOptions,
  ): Promise<Response<'modelInfer'>> {
    const method = this.method('modelInfer');
    const trace = options?.trace;
    const answer = await this.inferChannel.call(method.path, TritonClient.inferParts(request), {
      deadline: this.deadline(options),
      signal: options?.signal,
      metadata: trace ? { ...this.inferMetadata, ...traceMetadata(trace) } : this.inferMetadata,
    });
    return method.responseDeserialize(answer);
  }

  /** The models of the server's repositories; `ready` lists only those ready for inference. */
  async repositoryIndex(
    request: RequestInit<'repositoryIndex'> = {},
    options?: CallOptions,
  ): Promise<RepositoryIndexResponse_ModelIndex[]> {
    return (await this.unary('repositoryIndex', request, options)).models;
  }

  async repositoryModelLoad(
    modelName: string,
    parameters: Record<string, MessageInitShape<typeof ModelRepositoryParameterSchema>> = {},
    options?: CallOptions,
  ): Promise<void> {
    await this.unary('repositoryModelLoad', { modelName, parameters }, options);
  }

  async repositoryModelUnload(
    modelName: string,
    parameters: Record<string, MessageInitShape<typeof ModelRepositoryParameterSchema>> = {},
    options?: CallOptions,
  ): Promise<void> {
    await this.unary('repositoryModelUnload', { modelName, parameters }, options);
  }

  /**
   * Triton's bidirectional ModelStreamInfer. The deadline bounds the whole stream, so give a
   * long-lived stream a `timeoutMs` to match.
   */
  modelStreamInfer(
    options?: CallOptions,
  ): ClientDuplexStream<ModelInferRequest, ModelStreamInferResponse> {
    const method = this.method('modelStreamInfer');
    const stream = this.client.makeBidiStreamRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      { deadline: this.deadline(options) },
    );
    const detach = onAbort(options?.signal, () => stream.cancel());
    stream.once('close', detach);
    stream.once('error', detach);
    return stream;
  }

  close(): void {
    this.client.close();
    this.inferChannel.close();
  }

  private unary<K extends UnaryMethod>(
    name: K,
    request: RequestInit<K> | MessageShape<Methods[K]['input']> | EncodedMessage,
    options?: CallOptions,
  ): Promise<Response<K>> {
    const method = this.method<K>(name);
    const message =
      request instanceof EncodedMessage
        ? request
        : create(GRPCInferenceService.method[name].input, request as RequestInit<K>);
    return new Promise((resolve, reject) => {
      if (options?.signal?.aborted) {
        reject(
          serviceError(
            status.CANCELLED,
            `call to Triton at ${this.address} cancelled by the caller`,
          ),
        );
        return;
      }
      let detach = (): void => {};
      const call = this.client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        message as MessageShape<Methods[K]['input']>,
        // No Metadata argument: with one, grpc-js checks `options instanceof Object`, which fails
        // for objects from another realm (Jest's single-context environment is one).
        { deadline: this.deadline(options) },
        (error: ServiceError | null, response?: Response<K>) => {
          detach();
          if (error) reject(error);
          else if (response) resolve(response);
          else reject(new Error(`Triton at ${this.address} sent an empty ${name} response`));
        },
      );
      detach = onAbort(options?.signal, () => call.cancel());
    });
  }

  private method<K extends keyof Methods>(
    name: K,
  ): MethodDefinition<MessageShape<Methods[K]['input']>, Response<K>> {
    return TritonClient.definition[name] as MethodDefinition<
      MessageShape<Methods[K]['input']>,
      Response<K>
    >;
  }

  /** Milliseconds since the epoch, as grpc-js takes a deadline. */
  private deadline(options?: CallOptions): number {
    const own = Date.now() + (options?.timeoutMs ?? this.options.timeoutMs);
    return options?.deadline === undefined ? own : Math.min(own, options.deadline);
  }
}

/** A call's W3C trace context as the `traceparent` / `tracestate` metadata Triton reads. */
function traceMetadata(trace: TraceHeaders): Record<string, string> {
  return trace.tracestate
    ? { traceparent: trace.traceparent, tracestate: trace.tracestate }
    : { traceparent: trace.traceparent };
}

/** Adds the API key to the metadata of every call. */
function apiKeyInterceptor(apiKey: string): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set('x-api-key', apiKey);
        next(metadata, listener);
      },
    });
}
