import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { credentials, makeGenericClientConstructor, type Client } from '@grpc/grpc-js';
import { clientDefinition } from '@contracts/grpc/service-definition';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import { loadGatewayConfig, type GatewayConfig } from '../src/config/gateway-config';
import { startGateway, type RunningGateway } from '../src/gateway-app';

export const REPO_ROOT = resolve(__dirname, '../..');
export const MODEL_REPOSITORY = resolve(REPO_ROOT, 'triton-models');
export const SAMPLE_MEDIA = resolve(REPO_ROOT, '.cache/sample-media');

/** Sample media from scripts/fetch-sample-media.sh; a missing file fails the test, never skips it. */
export function sampleImage(name: string): Buffer {
  try {
    return readFileSync(resolve(SAMPLE_MEDIA, name));
  } catch {
    throw new Error(`sample media '${name}' missing: run scripts/fetch-sample-media.sh`);
  }
}

/** A real gateway on ephemeral ports, serving the real model repository with the embedded backend. */
export function startTestGateway(env: Record<string, string> = {}): Promise<RunningGateway> {
  const config: GatewayConfig = loadGatewayConfig({
    GATEWAY_HOST: '127.0.0.1',
    GATEWAY_HTTP_PORT: '0',
    GATEWAY_GRPC_PORT: '0',
    MODEL_REPOSITORY: MODEL_REPOSITORY,
    LOG_LEVEL: 'error',
    ORT_INTRA_OP_THREADS: '2',
    ...env,
  });
  return startGateway(config);
}

/** A grpc-js client whose methods are the service's local names (modelInfer, ...). */
export function grpcClient<S extends GenServiceMethods>(
  service: GenService<S>,
  address: string,
): Client & Record<string, unknown> {
  const Constructor = makeGenericClientConstructor(clientDefinition(service), service.typeName);
  return new Constructor(address, credentials.createInsecure());
}

/** Promise form of a unary call on a generic client. */
export function callUnary<Res>(
  client: Client & Record<string, unknown>,
  method: string,
  request: unknown,
): Promise<Res> {
  const fn = client[method] as (
    request: unknown,
    callback: (error: Error | null, response: Res) => void,
  ) => void;
  return new Promise((resolvePromise, reject) => {
    fn.call(client, request, (error, response) =>
      error ? reject(error) : resolvePromise(response),
    );
  });
}

/** Deterministic pseudo-random floats in [0, 1) (a fixed LCG), so failures reproduce. */
export function seededFloats(count: number, seed = 1): Float32Array {
  const values = new Float32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i += 1) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = state / 2 ** 32;
  }
  return values;
}
