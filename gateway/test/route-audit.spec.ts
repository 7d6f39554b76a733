/**
 * The route audit: EVERY registered HTTP route and EVERY gRPC method of every service on the server
 * (ours, health, reflection) is called without a credential, with a credential lacking the scope it
 * needs, and with the admin key. A route added later without a policy, or public by mistake, fails
 * here: the public lists below are the whole of what may be called anonymously.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import {
  Client,
  credentials,
  Metadata,
  status,
  type MethodDefinition,
  type ServiceError,
} from '@grpc/grpc-js';
import { GRPCInferenceService } from '@contracts/generated/inference/grpc_service_pb';
import { VisionService } from '@contracts/generated/vision/v1/vision_pb';
import { registeredRoutes } from '../src/auth/http/http-routes';
import { GRPC_METHOD_ACCESS } from '../src/auth/grpc/grpc-method-access';
import { GrpcServer } from '../src/grpc-server/grpc-server';
import { authMetadata, createApiKey, startTestGateway, type TestGateway } from './test-gateway';

// The probes, and the API's description (it describes; it grants nothing).
const PUBLIC_HTTP = [
  '/healthz',
  '/readyz',
  '/v2/health/live',
  '/v2/health/ready',
  '/openapi.json',
  '/docs',
  '/docs/:asset',
];
const PUBLIC_GRPC = [
  '/grpc.health.v1.Health/Check',
  '/grpc.health.v1.Health/Watch',
  '/grpc.health.v1.Health/List',
  '/inference.GRPCInferenceService/ServerLive',
  '/inference.GRPCInferenceService/ServerReady',
];

/** A concrete URL for a route pattern: real model, version 1, a key id that does not exist. */
const concrete = (url: string): string =>
  url
    .replace(':model', 'nanodet')
    .replace(':version', '1')
    .replace(':id', 'AbCdEfGhIjKl')
    .replace(':asset', 'swagger-ui.css');

interface HttpOutcome {
  status: number;
  challenge: string | null;
  body: string;
}

async function callHttp(
  baseUrl: string,
  method: string,
  url: string,
  key?: string,
): Promise<HttpOutcome> {
  const hasBody = method === 'POST' || method === 'PUT' || method === 'PATCH';
  const response = await fetch(`${baseUrl}${concrete(url)}`, {
    method,
    headers: {
      ...(key !== undefined && { 'x-api-key': key }),
      ...(hasBody && { 'content-type': 'application/json' }),
    },
    body: hasBody ? '{}' : undefined,
  });
  return {
    status: response.status,
    challenge: response.headers.get('www-authenticate'),
    body: await response.text(),
  };
}

const identity = (bytes: Buffer): Buffer => bytes;

/** The status a gRPC method answers (first response or final status), with an optional key. */
function callGrpc(
  client: Client,
  method: MethodDefinition<unknown, unknown>,
  message: Buffer,
  key?: string,
): Promise<{ code: status; details: string }> {
  const metadata = key === undefined ? new Metadata() : authMetadata(key);
  return new Promise((resolve) => {
    const settle = (error: ServiceError | null): void =>
      resolve(
        error ? { code: error.code, details: error.details } : { code: status.OK, details: '' },
      );
    if (!method.requestStream && !method.responseStream) {
      client.makeUnaryRequest(method.path, identity, identity, message, metadata, settle);
      return;
    }
    const stream = method.requestStream
      ? client.makeBidiStreamRequest(method.path, identity, identity, metadata)
      : client.makeServerStreamRequest(method.path, identity, identity, message, metadata);
    let settled = false;
    const once = (outcome: { code: status; details: string }): void => {
      if (settled) return;
      settled = true;
      resolve(outcome);
      stream.cancel();
    };
    stream.on('data', () => once({ code: status.OK, details: '' }));
    stream.on('error', (error: ServiceError) => once({ code: error.code, details: error.details }));
    stream.on('status', (final: { code: status; details: string }) => once(final));
    if (method.requestStream) {
      const writable = stream as unknown as { write(chunk: Buffer): void; end(): void };
      writable.write(message);
      writable.end();
    }
  });
}

/** A request message naming `model` in the method's model field, for model-scoped methods. */
function messageNaming(path: string, model: string): Buffer {
  const access = GRPC_METHOD_ACCESS[path];
  const services = [GRPCInferenceService, VisionService];
  const method = services
    .flatMap((service) =>
      service.methods.map((m) => ({ m, path: `/${service.typeName}/${m.name}` })),
    )
    .find((entry) => entry.path === path)?.m;
  if (!access?.modelField || !method) return Buffer.alloc(0);
  const input = method.input;
  return Buffer.from(toBinary(input, create(input, { [access.modelField]: model })));
}

describe('route audit: every HTTP route and gRPC method needs the right credential', () => {
  let gateway: TestGateway;
  // None of them may run nanodet or administer keys; each lacks what some routes need.
  let yoloOnly: string;
  let metricsOnly: string;
  let yoloAndMetrics: string;
  let grpc: Client;

  beforeAll(async () => {
    gateway = await startTestGateway();
    const key = async (scopes: string[]): Promise<string> =>
      (await createApiKey(gateway.httpUrl, { tenant: 'audit', scopes })).key;
    yoloOnly = await key(['infer:yolo']);
    metricsOnly = await key(['metrics:read']);
    yoloAndMetrics = await key(['infer:yolo', 'metrics:read']);
    grpc = new Client(gateway.grpcAddress, credentials.createInsecure());
  });
  afterAll(async () => {
    grpc?.close();
    await gateway?.close();
  });

  describe('HTTP', () => {
    const routes = () => registeredRoutes(gateway.app.getHttpAdapter().getInstance());

    it('finds the routes and every one declares an access policy', () => {
      expect(routes().length).toBeGreaterThan(20);
      const undeclared = routes().filter((route) => route.access === undefined);
      expect(undeclared.map((route) => `${route.method} ${route.url}`)).toEqual([]);
    });

    it('the public routes are exactly the health probes', () => {
      const publicUrls = new Set(
        routes()
          .filter((route) => route.access?.kind === 'public')
          .map((route) => route.url),
      );
      expect([...publicUrls].sort()).toEqual([...PUBLIC_HTTP].sort());
    });

    it('every non-public route answers 401 with a Bearer challenge to an anonymous call', async () => {
      const failures: string[] = [];
      for (const route of routes()) {
        if (route.access?.kind === 'public') continue;
        const outcome = await callHttp(gateway.httpUrl, route.method, route.url);
        if (outcome.status !== 401 || !outcome.challenge?.startsWith('Bearer')) {
          failures.push(`${route.method} ${route.url}: ${outcome.status} ${outcome.challenge}`);
        }
      }
      expect(failures).toEqual([]);
    });

    it('every route answers 401 to a wrong key, public ones excepted', async () => {
      const wrong = `${gateway.apiKey.slice(0, -4)}AAAA`;
      const failures: string[] = [];
      for (const route of routes()) {
        if (route.access?.kind === 'public') continue;
        const outcome = await callHttp(gateway.httpUrl, route.method, route.url, wrong);
        if (outcome.status !== 401)
          failures.push(`${route.method} ${route.url}: ${outcome.status}`);
      }
      expect(failures).toEqual([]);
    });

    it('every scoped route answers 403 to a credential without its scope, naming the scope', async () => {
      const failures: string[] = [];
      for (const route of routes()) {
        const kind = route.access?.kind;
        if (kind === 'public' || kind === 'authenticated') continue;
        // Some infer scope opens an any-model route (it answers only the models the key may call).
        const key =
          kind === 'metrics' ? yoloOnly : kind === 'any-model' ? metricsOnly : yoloAndMetrics;
        const outcome = await callHttp(gateway.httpUrl, route.method, route.url, key);
        // HEAD answers carry no body to name the scope in.
        const named = route.method === 'HEAD' || /needs scope '[^']+'/.test(outcome.body);
        if (outcome.status !== 403 || !named) {
          failures.push(`${route.method} ${route.url}: ${outcome.status} ${outcome.body}`);
        }
      }
      expect(failures).toEqual([]);
    });

    it('every route lets the admin key past authentication and authorisation', async () => {
      const failures: string[] = [];
      for (const route of routes()) {
        const outcome = await callHttp(gateway.httpUrl, route.method, route.url, gateway.apiKey);
        if (outcome.status === 401 || outcome.status === 403) {
          failures.push(`${route.method} ${route.url}: ${outcome.status} ${outcome.body}`);
        }
      }
      expect(failures).toEqual([]);
    });

    it('an unknown URL needs a credential before it answers 404', async () => {
      expect((await callHttp(gateway.httpUrl, 'GET', '/no/such/route')).status).toBe(401);
      expect((await callHttp(gateway.httpUrl, 'GET', '/no/such/route', yoloOnly)).status).toBe(404);
    });
  });

  describe('gRPC', () => {
    const methods = () => gateway.app.get(GrpcServer).methods;

    it('finds every service and every method has an access policy', () => {
      const paths = methods().map((method) => method.path);
      for (const service of [
        'grpc.health.v1.Health',
        'inference.GRPCInferenceService',
        'vision.v1.VisionService',
        'grpc.reflection.v1.ServerReflection',
      ]) {
        expect(paths.some((path) => path.startsWith(`/${service}/`))).toBe(true);
      }
      expect(paths.filter((path) => GRPC_METHOD_ACCESS[path] === undefined)).toEqual([]);
      const publicPaths = paths.filter(
        (path) => GRPC_METHOD_ACCESS[path]?.policy.kind === 'public',
      );
      expect(publicPaths.sort()).toEqual(PUBLIC_GRPC.filter((path) => paths.includes(path)).sort());
    });

    it('every non-public method answers UNAUTHENTICATED to an anonymous call', async () => {
      const failures: string[] = [];
      for (const method of methods()) {
        const outcome = await callGrpc(grpc, method, messageNaming(method.path, 'nanodet'));
        const isPublic = PUBLIC_GRPC.includes(method.path);
        if (
          isPublic
            ? outcome.code === status.UNAUTHENTICATED
            : outcome.code !== status.UNAUTHENTICATED
        ) {
          failures.push(`${method.path}: ${status[outcome.code]} ${outcome.details}`);
        }
      }
      expect(failures).toEqual([]);
    });

    it('every scoped method answers PERMISSION_DENIED to a credential without its scope', async () => {
      const failures: string[] = [];
      for (const method of methods()) {
        const kind = GRPC_METHOD_ACCESS[method.path]?.policy.kind;
        if (kind === 'public' || kind === 'authenticated') continue;
        // Model methods name nanodet (the key has infer:yolo); a stream needs some infer scope.
        const key = kind === 'any-model' ? metricsOnly : yoloAndMetrics;
        const outcome = await callGrpc(grpc, method, messageNaming(method.path, 'nanodet'), key);
        if (outcome.code !== status.PERMISSION_DENIED || !/needs scope/.test(outcome.details)) {
          failures.push(`${method.path}: ${status[outcome.code]} ${outcome.details}`);
        }
      }
      expect(failures).toEqual([]);
    });

    it('every method lets the admin key past authentication and authorisation', async () => {
      const failures: string[] = [];
      for (const method of methods()) {
        const outcome = await callGrpc(
          grpc,
          method,
          messageNaming(method.path, 'nanodet'),
          gateway.apiKey,
        );
        if (outcome.code === status.UNAUTHENTICATED || outcome.code === status.PERMISSION_DENIED) {
          failures.push(`${method.path}: ${status[outcome.code]} ${outcome.details}`);
        }
      }
      expect(failures).toEqual([]);
    });
  });
});
