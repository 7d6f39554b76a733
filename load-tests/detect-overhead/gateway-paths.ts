import { create } from '@bufbuild/protobuf';
import {
  credentials,
  makeGenericClientConstructor,
  type Client,
  type ServiceError,
} from '@grpc/grpc-js';
import { Agent, request as httpRequest } from 'node:http';
import { clientDefinition } from '@contracts/grpc/service-definition';
import { benchAuthHeaders, benchGrpcInterceptor } from '../lib/bench-credentials';
import {
  DetectRequestSchema,
  VisionService,
  type DetectRequest,
  type DetectResponse,
} from '@contracts/generated/vision/v1/vision_pb';
import type { DetectResult } from '../../gateway/src/vision/detect-types';
import type { BenchPath } from './bench-path';
import type { SampleImage } from './images';
import { MODEL } from './settings';

const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

type UnaryCall = (
  request: DetectRequest,
  options: { deadline: number },
  callback: (error: ServiceError | null, response: DetectResponse) => void,
) => void;

export interface GatewayPaths {
  http: BenchPath;
  grpc: BenchPath;
  /** One detect per protocol, for the agreement check against the in-process pipeline. */
  detectHttp(image: SampleImage): Promise<DetectResult>;
  detectGrpc(image: SampleImage): Promise<DetectResponse>;
  close(): void;
}

/**
 * Clients as a real caller would use them: HTTP/1.1 keep-alive (one connection per in-flight
 * request) and one gRPC channel multiplexing its calls over HTTP/2. Their parse and serialise work
 * is inside the measured latency, as it is for any client.
 */
export function createGatewayPaths(
  httpUrl: string,
  grpcAddress: string,
  timeoutMs: number,
): GatewayPaths {
  const agent = new Agent({ keepAlive: true });
  const detectUrl = new URL(`/v1/models/${MODEL}/detect`, httpUrl);
  const detectHttp = (image: SampleImage): Promise<DetectResult> =>
    new Promise((resolve, reject) => {
      const call = httpRequest(
        detectUrl,
        {
          method: 'POST',
          agent,
          timeout: timeoutMs,
          headers: {
            ...benchAuthHeaders(),
            'content-type': image.contentType,
            'content-length': image.bytes.byteLength,
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            if (response.statusCode !== 200) {
              reject(new Error(`HTTP ${response.statusCode}: ${body.slice(0, 200)}`));
              return;
            }
            try {
              resolve(JSON.parse(body) as DetectResult);
            } catch (error) {
              reject(error instanceof Error ? error : new Error(String(error)));
            }
          });
        },
      );
      call.on('timeout', () =>
        call.destroy(new Error(`HTTP request timed out after ${timeoutMs} ms`)),
      );
      call.on('error', reject);
      call.end(image.bytes);
    });

  const Constructor = makeGenericClientConstructor(
    clientDefinition(VisionService),
    VisionService.typeName,
  );
  const client = new Constructor(grpcAddress, credentials.createInsecure(), {
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    interceptors: [benchGrpcInterceptor()],
  }) as Client & Record<string, unknown>;
  const detect = client.detect as UnaryCall;
  // Messages made once per image: what is measured is the call, not building the request object.
  const messages = new Map<SampleImage, DetectRequest>();
  const detectGrpc = (image: SampleImage): Promise<DetectResponse> => {
    let message = messages.get(image);
    if (!message) {
      message = create(DetectRequestSchema, { model: MODEL, image: image.bytes });
      messages.set(image, message);
    }
    const request = message;
    return new Promise((resolve, reject) => {
      detect.call(client, request, { deadline: Date.now() + timeoutMs }, (error, response) =>
        error ? reject(error) : resolve(response),
      );
    });
  };

  return {
    http: {
      name: 'gateway-http',
      send: async (image) => {
        const result = await detectHttp(image);
        if (!Array.isArray(result.detections))
          throw new Error('HTTP answer has no detections list');
      },
    },
    grpc: {
      name: 'gateway-grpc',
      send: async (image) => {
        const response = await detectGrpc(image);
        if (!response.image?.width) throw new Error('gRPC answer has no image size');
      },
    },
    detectHttp,
    detectGrpc,
    close: () => {
      client.close();
      agent.destroy();
    },
  };
}
