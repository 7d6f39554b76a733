import {
  credentials,
  makeGenericClientConstructor,
  type Client,
  type ServiceError,
} from '@grpc/grpc-js';
import {
  GRPCInferenceService,
  type ModelInferRequest,
  type ModelInferResponse,
} from '@contracts/generated/inference/grpc_service_pb';
import { clientDefinition } from '@contracts/grpc/service-definition';
import { benchGrpcInterceptor } from '../lib/bench-credentials';

const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

type ModelInferCall = (
  request: ModelInferRequest,
  options: { deadline: number },
  callback: (error: ServiceError | null, response: ModelInferResponse) => void,
) => void;

export interface InferClient {
  /** One ModelInfer on channel `sequence % channels`; rejects on an error or a malformed answer. */
  infer(request: ModelInferRequest, sequence: number): Promise<ModelInferResponse>;
  close(): void;
}

/**
 * KServe v2 gRPC clients of the gateway, made from the generated service (libs/contracts), spread
 * over `channels` HTTP/2 connections: one connection would serialise 64 callers' 2 MB messages on
 * one socket and one flow-control window, which a load balancer in front of real clients would not.
 */
export function createInferClient(
  address: string,
  channels: number,
  timeoutMs: number,
): InferClient {
  const Constructor = makeGenericClientConstructor(
    clientDefinition(GRPCInferenceService),
    GRPCInferenceService.typeName,
  );
  const clients = Array.from(
    { length: channels },
    () =>
      new Constructor(address, credentials.createInsecure(), {
        'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
        'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
        // A connection of its own per client (grpc-js otherwise shares one per address and options).
        'grpc.use_local_subchannel_pool': 1,
        // Answers are ~1.8 MB per image: HTTP/2's default 64 KiB window would stall each one.
        'grpc-node.flow_control_window': MAX_MESSAGE_BYTES,
        interceptors: [benchGrpcInterceptor()],
      }) as Client & Record<string, unknown>,
  );
  return {
    infer: (request, sequence) => {
      const client = clients[sequence % clients.length];
      const call = client.modelInfer as ModelInferCall;
      return new Promise((resolve, reject) => {
        call.call(client, request, { deadline: Date.now() + timeoutMs }, (error, response) => {
          if (error) {
            reject(error);
            return;
          }
          const problem = malformed(response);
          if (problem) reject(new Error(problem));
          else resolve(response);
        });
      });
    },
    close: () => {
      for (const client of clients) client.close();
    },
  };
}

/** Why an answer is not a whole nanodet result (six raw outputs of batch size 1), if it is not. */
function malformed(response: ModelInferResponse): string | undefined {
  if (response.outputs.length !== 6) return `answer has ${response.outputs.length} outputs, not 6`;
  if (response.rawOutputContents.length !== response.outputs.length) {
    return 'answer has no raw_output_contents for every output';
  }
  const batch = response.outputs.map((output) => Number(output.shape[0]));
  if (batch.some((size) => size !== 1)) return `answer has batch sizes ${batch.join(',')}, not 1`;
  return undefined;
}
