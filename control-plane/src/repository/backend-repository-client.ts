import { create, type MessageShape } from '@bufbuild/protobuf';
import { Client, credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { GRPCInferenceService } from '@contracts/generated/inference/grpc_service_pb';
import { clientDefinition } from '@contracts/grpc/service-definition';
import { ControlPlaneFailure } from '../errors/control-plane-error';

type Methods = typeof GRPCInferenceService.method;
type RepositoryMethod = 'repositoryIndex' | 'repositoryModelLoad' | 'repositoryModelUnload';

/** One model version as a backend reports it in its repository index. */
export interface BackendModelState {
  model: string;
  version: string;
  /** Triton's words: READY, UNAVAILABLE, LOADING, UNLOADING, ... */
  state: string;
  reason: string;
}

/**
 * The model-repository extension of one backend (a Triton server or a gateway's embedded
 * backend: the same RPCs), over one reused channel, every call bounded by a deadline.
 */
export class BackendRepositoryClient {
  private static readonly definition = clientDefinition(GRPCInferenceService);
  private readonly client: Client;

  constructor(
    readonly name: string,
    readonly address: string,
    private readonly options: { apiKey?: string; timeoutMs: number },
  ) {
    this.client = new Client(address, credentials.createInsecure(), {
      'grpc.max_receive_message_length': 16 * 1024 * 1024,
    });
  }

  async index(): Promise<BackendModelState[]> {
    const answer = await this.call('repositoryIndex', { ready: false });
    return answer.models.map((model) => ({
      model: model.name,
      version: model.version,
      state: model.state,
      reason: model.reason,
    }));
  }

  async load(modelName: string): Promise<void> {
    await this.call('repositoryModelLoad', { modelName });
  }

  async unload(modelName: string): Promise<void> {
    await this.call('repositoryModelUnload', { modelName });
  }

  close(): void {
    this.client.close();
  }

  private call<K extends RepositoryMethod>(
    name: K,
    request: Parameters<typeof create<Methods[K]['input']>>[1],
  ): Promise<MessageShape<Methods[K]['output']>> {
    const method = BackendRepositoryClient.definition[name];
    const message = create(GRPCInferenceService.method[name].input, request as never);
    const metadata = new Metadata();
    if (this.options.apiKey !== undefined) {
      metadata.set('authorization', `Bearer ${this.options.apiKey}`);
    }
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        message,
        metadata,
        { deadline: Date.now() + this.options.timeoutMs },
        (error: ServiceError | null, response?: unknown) => {
          if (error) reject(this.failure(name, error));
          else resolve(response as MessageShape<Methods[K]['output']>);
        },
      );
    });
  }

  private failure(method: RepositoryMethod, error: ServiceError): ControlPlaneFailure {
    const where = `backend ${this.name} (${this.address})`;
    const unreachable =
      error.code === status.UNAVAILABLE || error.code === status.DEADLINE_EXCEEDED;
    return new ControlPlaneFailure(
      unreachable ? 'UPSTREAM_UNAVAILABLE' : 'UPSTREAM_ERROR',
      `${where} ${unreachable ? 'cannot be reached' : 'refused'} ${method}: ${error.details || status[error.code]}`,
      { backend: this.name, grpcStatus: status[error.code] },
    );
  }
}
