import { setMaxListeners } from 'node:events';
import { create } from '@bufbuild/protobuf';
import { Metadata, type ServerDuplexStream } from '@grpc/grpc-js';
import { Inject, Injectable } from '@nestjs/common';
import type { ImplementationOf, MalformedMessage } from '@contracts/grpc/service-definition';
import {
  ModelConfigResponseSchema,
  ModelMetadataResponse_TensorMetadataSchema,
  ModelMetadataResponseSchema,
  ModelReadyResponseSchema,
  ModelStreamInferResponseSchema,
  RepositoryIndexResponseSchema,
  RepositoryModelLoadResponseSchema,
  RepositoryModelUnloadResponseSchema,
  ServerLiveResponseSchema,
  ServerMetadataResponseSchema,
  ServerReadyResponseSchema,
  type GRPCInferenceService,
  type ModelInferResponse,
  type ModelRepositoryParameter,
  type ModelStreamInferResponse,
} from '@contracts/generated/inference/grpc_service_pb';
import { toGatewayError } from '../../errors/gateway-error';
import {
  INFERENCE_BACKEND,
  type InferenceBackend,
  type TensorMetadata,
} from '../../request-path/inference-backend';
import { TensorCalls } from '../../pipeline/tensor-calls';
import type { CallContext } from '../../request-path/call-context';
import { GatewayMetrics } from '../../metrics/gateway-metrics';
import { ServingReadiness } from '../../health/serving-readiness';
import { decoded, requiredField } from '../../grpc-server/grpc-errors';
import { unaryHandler } from '../../grpc-server/grpc-handlers';
import { SERVER_EXTENSIONS, SERVER_NAME, SERVER_VERSION } from '../server-identity';
import { inferAnswerToGrpc, inferResponseToProto } from '../../kserve-wire/grpc-tensor-codec';
import { decodeInferRequest } from '../../kserve-wire/infer-request-decoder';
import type { ModelInferRequestHeader } from '@contracts/grpc/model-infer-request-header';
import { CONFIG_SLICE, type ConfigSlice } from '../../config/gateway-config';
import { ACCESS, authorize } from '../../auth/access-policy';
import { grpcCaller } from '../../auth/grpc/grpc-caller';
import { grpcCallBounds } from '../../admission/grpc-call-bounds';
import { grpcCallContext } from '../../grpc-server/grpc-call-context';
import { toServiceError } from '../../grpc-server/grpc-errors';
import { tensorCallImages } from '../../inference/call-images';
import type { InferRequest, InferResponse } from '../../request-path/inference-backend';
import { answerInOrder } from '../../grpc-server/ordered-stream-answers';
import { streamAnswerBytes } from './stream-answer-bytes';
import { ModelRepositoryService } from '../repository/model-repository.service';
import {
  checkModelName,
  checkParameters,
  checkRepositoryName,
} from '../repository/repository-requests';
import { unimplementedExtensionHandlers } from '../extensions/unimplemented-extensions-grpc';
import { ModelStatisticsService } from '../../model-statistics/model-statistics.service';
import { modelStatisticsHandler } from '../statistics/statistics-grpc';

/** Requests a single stream may have in progress or unsent before the gateway stops reading it. */
const STREAM_WINDOW = 16;

/** KServe v2 `inference.GRPCInferenceService`, as Triton serves it. */
@Injectable()
export class KServeGrpcService {
  constructor(
    @Inject(INFERENCE_BACKEND) private readonly backend: InferenceBackend,
    private readonly readiness: ServingReadiness,
    @Inject(CONFIG_SLICE.grpc) private readonly grpcLimits: ConfigSlice<'grpc'>,
    @Inject(CONFIG_SLICE.maxBodyBytes) private readonly maxBodyBytes: ConfigSlice<'maxBodyBytes'>,
    private readonly pipeline: TensorCalls,
    private readonly metrics: GatewayMetrics,
    private readonly repository: ModelRepositoryService,
    private readonly statistics: ModelStatisticsService,
  ) {}

  implementation(): ImplementationOf<typeof GRPCInferenceService> {
    const route = (method: string): string => `inference.GRPCInferenceService/${method}`;
    const byModel = (request: { name: string; version: string }) => ({
      model: request.name,
      version: request.version,
    });
    return {
      serverLive: unaryHandler(this.metrics, route('ServerLive'), () =>
        create(ServerLiveResponseSchema, { live: true }),
      ),
      serverReady: unaryHandler(this.metrics, route('ServerReady'), () =>
        create(ServerReadyResponseSchema, { ready: this.readiness.isReady() }),
      ),
      serverMetadata: unaryHandler(this.metrics, route('ServerMetadata'), () =>
        create(ServerMetadataResponseSchema, {
          name: SERVER_NAME,
          version: SERVER_VERSION,
          extensions: [...SERVER_EXTENSIONS],
        }),
      ),
      modelReady: unaryHandler(
        this.metrics,
        route('ModelReady'),
        // As Triton: an unknown model or version is simply not ready (OK, ready=false).
        (request) =>
          create(ModelReadyResponseSchema, {
            ready: this.backend.isModelReady(requiredField(request.name, 'name'), request.version),
          }),
        byModel,
      ),
      modelMetadata: unaryHandler(
        this.metrics,
        route('ModelMetadata'),
        (request) => {
          const { metadata, version } = this.backend.resolve(
            requiredField(request.name, 'name'),
            request.version,
          );
          return create(ModelMetadataResponseSchema, {
            name: metadata.name,
            versions: request.version === '' ? metadata.versions : [version],
            platform: metadata.platform,
            inputs: metadata.inputs.map(tensorMetadata),
            outputs: metadata.outputs.map(tensorMetadata),
          });
        },
        byModel,
      ),
      modelInfer: unaryHandler(
        this.metrics,
        route('ModelInfer'),
        async (request, call) => {
          const inferRequest = { ...(await this.decode(request, call)), ...grpcCallBounds(call) };
          return inferAnswerToGrpc(
            await this.pipeline.infer(inferRequest, this.context(call, inferRequest)),
            this.maxBodyBytes,
          );
        },
        (request) => ({ model: request.modelName, version: request.modelVersion }),
      ),
      modelStreamInfer: (call) => this.streamInfer(call),
      modelConfig: unaryHandler(
        this.metrics,
        route('ModelConfig'),
        (request) => {
          const { metadata } = this.backend.resolve(
            requiredField(request.name, 'name'),
            request.version,
          );
          return create(ModelConfigResponseSchema, { config: metadata.config });
        },
        byModel,
      ),
      // Triton's model_repository extension (scope admin, grpc-method-access.ts).
      repositoryIndex: unaryHandler(this.metrics, route('RepositoryIndex'), async (request) => {
        checkRepositoryName(request.repositoryName);
        const models = await this.repository.index(request.ready);
        return create(RepositoryIndexResponseSchema, { models });
      }),
      repositoryModelLoad: unaryHandler(
        this.metrics,
        route('RepositoryModelLoad'),
        async (request) => {
          checkRepositoryName(request.repositoryName);
          checkModelName(request.modelName);
          checkParameters('load', parameterList(request.parameters));
          await this.repository.load(request.modelName);
          return create(RepositoryModelLoadResponseSchema, {});
        },
      ),
      repositoryModelUnload: unaryHandler(
        this.metrics,
        route('RepositoryModelUnload'),
        async (request) => {
          checkRepositoryName(request.repositoryName);
          checkModelName(request.modelName);
          checkParameters('unload', parameterList(request.parameters));
          await this.repository.unload(request.modelName);
          return create(RepositoryModelUnloadResponseSchema, {});
        },
      ),
      // Triton's statistics extension (kserve/statistics/).
      modelStatistics: modelStatisticsHandler(this.metrics, this.statistics),
      ...unimplementedExtensionHandlers(this.metrics),
    };
  }

  /**
   * Triton's streaming extension: each request on the stream is answered in order; a failed request
   * yields an error_message response and the stream carries on. Reading stops while STREAM_WINDOW
   * requests are not yet answered to the client, or while GATEWAY_GRPC_STREAM_MAX_UNSENT_BYTES of
   * answers wait for it to read them: neither a fast producer nor a slow reader grows the stream.
   */
  private streamInfer(
    call: ServerDuplexStream<ModelInferRequestHeader | MalformedMessage, ModelStreamInferResponse>,
  ): void {
    // Caller and priority are the stream's (checked once, here); images are counted per message.
    try {
      grpcCallContext(call, 1);
    } catch (error) {
      call.emit('error', toServiceError(error));
      return;
    }
    // The stream's deadline and cancellation bound every request sent on it; each of its
    // STREAM_WINDOW requests in progress listens to the signal at a few stages.
    const bounds = grpcCallBounds(call);
    setMaxListeners(4 * STREAM_WINDOW, bounds.signal);
    this.metrics.inFlight.inc({ protocol: 'grpc' });
    answerInOrder(
      call,
      { maxPending: STREAM_WINDOW, maxUnsentBytes: this.grpcLimits.streamMaxUnsentBytes },
      {
        answer: (message) =>
          Promise.resolve()
            .then(async () => {
              const request = { ...(await this.decode(decoded(message), call)), ...bounds };
              return this.encode(await this.pipeline.infer(request, this.context(call, request)));
            })
            .then(
              (inferResponse) => create(ModelStreamInferResponseSchema, { inferResponse }),
              (error: unknown) =>
                create(ModelStreamInferResponseSchema, {
                  errorMessage: toGatewayError(error).message,
                }),
            ),
        sizeOf: streamAnswerBytes,
        onClose: () => this.metrics.inFlight.dec({ protocol: 'grpc' }),
      },
    );
  }

  /**
   * A request's elements, decoded only once its header has passed the model's signature check
   * (decodeInferRequest). Stream messages name their own models: the caller must hold the model's
   * scope before anything about the model is looked at.
   */
  private decode(
    header: ModelInferRequestHeader,
    call: { metadata: Metadata },
  ): Promise<InferRequest> {
    authorize(grpcCaller(call), ACCESS.model, header.modelName || undefined);
    requiredField(header.modelName, 'model_name');
    const { metadata } = this.backend.resolve(header.modelName, header.modelVersion);
    return decodeInferRequest(header, metadata);
  }

  private encode(response: InferResponse): ModelInferResponse {
    return inferResponseToProto(response, this.maxBodyBytes);
  }

  private context(call: { metadata: Metadata }, request: InferRequest): CallContext {
    return grpcCallContext(call, tensorCallImages(request, this.backend));
  }
}

function parameterList(parameters: Record<string, ModelRepositoryParameter>) {
  return Object.entries(parameters).map(([name, value]) => ({
    name,
    isBoolean: value.parameterChoice.case === 'boolParam',
  }));
}

function tensorMetadata(tensor: TensorMetadata) {
  return create(ModelMetadataResponse_TensorMetadataSchema, {
    name: tensor.name,
    datatype: tensor.datatype,
    shape: tensor.shape.map(BigInt),
  });
}
