import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  credentials,
  makeGenericClientConstructor,
  Metadata,
  type Client,
  type Interceptor,
} from '@grpc/grpc-js';
import { clientDefinition } from '@contracts/grpc/service-definition';
import { apiKeyInterceptor } from '@test-support';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import { loadGatewayConfig, type GatewayConfig } from '../src/config/gateway-config';
import { startGateway, type RunningGateway } from '../src/gateway-app';

export const REPO_ROOT = resolve(__dirname, '../..');
export const MODEL_REPOSITORY = resolve(REPO_ROOT, 'triton-models');
/** Sample media from scripts/fetch-sample-media.sh; a missing file fails the test, never skips it. */
export { readSampleMedia as sampleImage } from '@test-support';

/**
 * The admin API key every test gateway is started with (GATEWAY_BOOTSTRAP_API_KEY): tenant `admin`,
 * scope `admin`, so it may call every route. Test-only: never use it for a real deployment.
 */
export const TEST_API_KEY = 'tcg_TestGateway1_tkxgIWMDJQGZxB-hJkmWcx-cB40nRxXn5G3984mz7l0';

/** HTTP headers that authenticate as `key` (the test admin key unless told otherwise). */
export function authHeaders(key: string = TEST_API_KEY): Record<string, string> {
  return { 'x-api-key': key };
}

/** fetch() options with the credential of `key` added to whatever headers they carry. */
export function withAuth(init: RequestInit = {}, key: string = TEST_API_KEY): RequestInit {
  const headers = new Headers(init.headers);
  headers.set('x-api-key', key);
  return { ...init, headers };
}

/** gRPC metadata that authenticates as `key` (the test admin key unless told otherwise). */
export function authMetadata(key: string = TEST_API_KEY): Metadata {
  const metadata = new Metadata();
  metadata.set('x-api-key', key);
  return metadata;
}

export interface TestGateway extends RunningGateway {
  /** The bootstrap admin key it was started with. */
  apiKey: string;
  /** Its own data folder (API key store), removed on close. */
  dataDir: string;
}

/**
 * A real gateway on ephemeral ports, serving the real model repository with the embedded backend,
 * with the admin key TEST_API_KEY and a fresh API key store of its own (unless `env` names them).
 */
export async function startTestGateway(env: Record<string, string> = {}): Promise<TestGateway> {
  const dataDir = env.GATEWAY_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'gateway-test-'));
  const ownDataDir = env.GATEWAY_DATA_DIR === undefined;
  const config: GatewayConfig = loadGatewayConfig({
    GATEWAY_HOST: '127.0.0.1',
    GATEWAY_HTTP_PORT: '0',
    GATEWAY_GRPC_PORT: '0',
    MODEL_REPOSITORY: MODEL_REPOSITORY,
    LOG_LEVEL: 'error',
    ORT_INTRA_OP_THREADS: '2',
    GATEWAY_BOOTSTRAP_API_KEY: TEST_API_KEY,
    GATEWAY_DATA_DIR: dataDir,
    ...env,
  });
  const removeDataDir = (): void => {
    if (ownDataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  let gateway: RunningGateway;
  try {
    gateway = await startGateway(config);
  } catch (error) {
    removeDataDir();
    throw error;
  }
  return {
    ...gateway,
    apiKey: env.GATEWAY_BOOTSTRAP_API_KEY ?? TEST_API_KEY,
    dataDir,
    close: async () => {
      await gateway.close();
      removeDataDir();
    },
  };
}

/**
 * Creates an API key through the gateway's admin API and returns it (shown once), e.g. a tenant's
 * key with `infer:nanodet` only, or a key without the scope a route needs.
 */
export async function createApiKey(
  httpUrl: string,
  body: { tenant: string; scopes: string[]; name?: string },
  adminKey: string = TEST_API_KEY,
): Promise<{ id: string; key: string }> {
  const response = await fetch(`${httpUrl}/admin/api-keys`, {
    method: 'POST',
    headers: { ...authHeaders(adminKey), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 201) {
    throw new Error(`creating an API key failed: ${response.status} ${await response.text()}`);
  }
  return (await response.json()) as { id: string; key: string };
}

/** Adds `x-api-key` to every call a client makes: tests call methods without a Metadata argument. */
export function authInterceptor(key: string = TEST_API_KEY): Interceptor {
  return apiKeyInterceptor(key);
}

/**
 * A grpc-js client whose methods are the service's local names (modelInfer, ...), authenticated as
 * `apiKey` (the test admin key by default; null for an anonymous client).
 */
export function grpcClient<S extends GenServiceMethods>(
  service: GenService<S>,
  address: string,
  { apiKey = TEST_API_KEY }: { apiKey?: string | null } = {},
): Client & Record<string, unknown> {
  const Constructor = makeGenericClientConstructor(clientDefinition(service), service.typeName);
  return new Constructor(address, credentials.createInsecure(), {
    interceptors: apiKey === null ? [] : [authInterceptor(apiKey)],
  });
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
