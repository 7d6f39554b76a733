/**
 * Every Triton extension the gateway does not implement answers alike on both protocols: HTTP 501
 * with the KServe `{"error": ...}` body and gRPC UNIMPLEMENTED, with one message naming the
 * extension, never the router's "Cannot GET" 404; and server metadata never lists them.
 */
import { create, type DescMessage } from '@bufbuild/protobuf';
import { status, type Client, type ServiceError } from '@grpc/grpc-js';
import {
  CudaSharedMemoryRegisterRequestSchema,
  CudaSharedMemoryStatusRequestSchema,
  CudaSharedMemoryUnregisterRequestSchema,
  GRPCInferenceService,
  LogSettingsRequestSchema,
  ServerMetadataRequestSchema,
  SystemSharedMemoryRegisterRequestSchema,
  SystemSharedMemoryStatusRequestSchema,
  SystemSharedMemoryUnregisterRequestSchema,
  TraceSettingRequestSchema,
  type ServerMetadataResponse,
} from '@contracts/generated/inference/grpc_service_pb';
import {
  extensionNotImplemented,
  UNIMPLEMENTED_EXTENSIONS,
  type UnimplementedExtension,
} from '../src/kserve/extensions/unimplemented-extensions';
import {
  authHeaders,
  callUnary,
  grpcClient,
  startTestGateway,
  type TestGateway,
} from './test-gateway';

/**
 * Each REST route tritonclient's HTTP client calls for the extension, as it calls it. Every row has
 * four entries: jest hands `done` to a test taking more parameters than its row has.
 */
const HTTP_CASES: [UnimplementedExtension, 'GET' | 'POST', string, unknown][] = [
  ['system_shared_memory', 'GET', '/v2/systemsharedmemory/status', undefined],
  ['system_shared_memory', 'GET', '/v2/systemsharedmemory/region/input0/status', undefined],
  [
    'system_shared_memory',
    'POST',
    '/v2/systemsharedmemory/region/input0/register',
    { key: '/input0', offset: 0, byte_size: 64 },
  ],
  ['system_shared_memory', 'POST', '/v2/systemsharedmemory/unregister', {}],
  ['system_shared_memory', 'POST', '/v2/systemsharedmemory/region/input0/unregister', {}],
  ['cuda_shared_memory', 'GET', '/v2/cudasharedmemory/status', undefined],
  ['cuda_shared_memory', 'GET', '/v2/cudasharedmemory/region/input0/status', undefined],
  [
    'cuda_shared_memory',
    'POST',
    '/v2/cudasharedmemory/region/input0/register',
    { raw_handle: { b64: 'AAAA' }, device_id: 0, byte_size: 64 },
  ],
  ['cuda_shared_memory', 'POST', '/v2/cudasharedmemory/unregister', {}],
  ['cuda_shared_memory', 'POST', '/v2/cudasharedmemory/region/input0/unregister', {}],
  ['trace', 'GET', '/v2/trace/setting', undefined],
  ['trace', 'POST', '/v2/trace/setting', { trace_level: ['TIMESTAMPS'] }],
  ['trace', 'GET', '/v2/models/nanodet/trace/setting', undefined],
  ['trace', 'POST', '/v2/models/nanodet/trace/setting', { trace_rate: '10' }],
  ['logging', 'GET', '/v2/logging', undefined],
  ['logging', 'POST', '/v2/logging', { log_verbose_level: 1 }],
];

/** Each gRPC method of the extension, with a request a client would send. */
const GRPC_CASES: [UnimplementedExtension, string, DescMessage, Record<string, unknown>][] = [
  ['system_shared_memory', 'systemSharedMemoryStatus', SystemSharedMemoryStatusRequestSchema, {}],
  [
    'system_shared_memory',
    'systemSharedMemoryRegister',
    SystemSharedMemoryRegisterRequestSchema,
    { name: 'input0', key: '/input0', byteSize: 64n },
  ],
  [
    'system_shared_memory',
    'systemSharedMemoryUnregister',
    SystemSharedMemoryUnregisterRequestSchema,
    { name: 'input0' },
  ],
  ['cuda_shared_memory', 'cudaSharedMemoryStatus', CudaSharedMemoryStatusRequestSchema, {}],
  [
    'cuda_shared_memory',
    'cudaSharedMemoryRegister',
    CudaSharedMemoryRegisterRequestSchema,
    { name: 'input0', rawHandle: new Uint8Array(8), byteSize: 64n },
  ],
  ['cuda_shared_memory', 'cudaSharedMemoryUnregister', CudaSharedMemoryUnregisterRequestSchema, {}],
  ['trace', 'traceSetting', TraceSettingRequestSchema, { modelName: 'nanodet' }],
  [
    'logging',
    'logSettings',
    LogSettingsRequestSchema,
    { settings: { log_info: { parameterChoice: { case: 'boolParam', value: true } } } },
  ],
];

describe('unimplemented Triton extensions answer alike on REST and gRPC', () => {
  let gateway: TestGateway;
  let client: Client & Record<string, unknown>;

  beforeAll(async () => {
    gateway = await startTestGateway();
    client = grpcClient(GRPCInferenceService, gateway.grpcAddress);
  });
  afterAll(async () => {
    client?.close();
    await gateway?.close();
  });

  it('covers every unimplemented extension on both protocols', () => {
    const extensions = Object.keys(UNIMPLEMENTED_EXTENSIONS).sort();
    expect([...new Set(HTTP_CASES.map(([extension]) => extension))].sort()).toEqual(extensions);
    expect([...new Set(GRPC_CASES.map(([extension]) => extension))].sort()).toEqual(extensions);
  });

  it.each(HTTP_CASES)(
    'REST %s: %s %s answers 501 naming the extension',
    async (extension, method, path, body) => {
      const response = await fetch(`${gateway.httpUrl}${path}`, {
        method,
        headers: {
          ...authHeaders(),
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      expect(response.status).toBe(501);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      const expected = extensionNotImplemented(extension).message;
      expect(await response.json()).toEqual({ error: expected });
      expect(expected).toContain(`'${extension}' extension is not implemented`);
    },
  );

  it.each(GRPC_CASES)(
    'gRPC %s: %s answers UNIMPLEMENTED with the REST message',
    async (extension, method, schema, fields) => {
      const error = await callUnary(client, method, create(schema, fields)).then(
        () => undefined,
        (failure: ServiceError) => failure,
      );
      expect(error && { code: status[error.code], details: error.details }).toEqual({
        code: 'UNIMPLEMENTED',
        details: extensionNotImplemented(extension).message,
      });
    },
  );

  it('needs a credential like every other non-probe route', async () => {
    const response = await fetch(`${gateway.httpUrl}/v2/logging`);
    expect(response.status).toBe(401);
  });

  it('server metadata lists none of them, on either protocol', async () => {
    const rest = (await (
      await fetch(`${gateway.httpUrl}/v2`, { headers: authHeaders() })
    ).json()) as {
      extensions: string[];
    };
    const grpc = await callUnary<ServerMetadataResponse>(
      client,
      'serverMetadata',
      create(ServerMetadataRequestSchema),
    );
    expect(grpc.extensions).toEqual(rest.extensions);
    for (const extension of Object.keys(UNIMPLEMENTED_EXTENSIONS)) {
      expect(rest.extensions).not.toContain(extension);
    }
  });
});
