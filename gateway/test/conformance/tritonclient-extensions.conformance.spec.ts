/**
 * NVIDIA's tritonclient, unchanged, calling the extensions beyond plain inference at a real gateway
 * (tritonclient_extensions.py): class_count (the classification extension) over HTTP and gRPC
 * parses into the strings Triton would give for ONNX Runtime's own scores, and the unimplemented
 * extensions (shared memory, trace, log settings) raise a clear InferenceServerException naming
 * the extension: 501 over HTTP, UNIMPLEMENTED over gRPC, never a client crash or a framework 404.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { missingPrerequisite } from '@test-support';
import { extensionNotImplemented } from '../../src/kserve/extensions/unimplemented-extensions';
import { expectedClasses } from '../classification-reference';
import { NANODET_INPUT_SIZE, nanodetReference } from '../nanodet-reference';
import { REPO_ROOT, seededFloats, startTestGateway, type TestGateway } from '../test-gateway';
import { writeNpyFloat32 } from './npy';
import { ok, raised, type Attempt } from './tritonclient-summary';

const python = process.env.PYTHON ?? join(REPO_ROOT, '.venv/bin/python');
const script = join(__dirname, 'tritonclient_extensions.py');

interface Classes {
  datatype: string;
  shape: number[];
  values: string[];
}
type Unimplemented = Record<
  | 'system_shared_memory_status'
  | 'register_system_shared_memory'
  | 'cuda_shared_memory_status'
  | 'trace_settings'
  | 'log_settings',
  Attempt<unknown>
>;
interface ExtensionsSummary {
  http: {
    classification: Record<'binary' | 'json', Attempt<Classes>>;
    unimplemented: Unimplemented;
  };
  grpc: { classification: { grpc: Attempt<Classes> }; unimplemented: Unimplemented };
}

function probeClient(): string | undefined {
  const probe = spawnSync(python, ['-c', 'import numpy, tritonclient.http, tritonclient.grpc'], {
    encoding: 'utf8',
  });
  if (probe.error === undefined && probe.status === 0) return undefined;
  return (
    `tritonclient unavailable for ${python} (${probe.error?.message ?? probe.stderr.trim()}): ` +
    'install it with .venv/bin/pip install -r scripts/requirements-test.txt (scripts/setup.sh --test)'
  );
}

describe('tritonclient: classification (class_count) and unimplemented extensions', () => {
  if (missingPrerequisite('tritonclient', probeClient())) return;

  const input = seededFloats(2 * NANODET_INPUT_SIZE, 20260612);
  let gateway: TestGateway;
  let outDir: string;
  let summary: ExtensionsSummary;
  let reference: Record<string, Float32Array>;

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'tritonclient-extensions-'));
    const inputPath = join(outDir, 'input.npy');
    writeNpyFloat32(inputPath, input, [2, 3, 416, 416]);
    gateway = await startTestGateway();
    const out = join(outDir, 'summary.json');
    // Asynchronously: the gateway under test shares this process's event loop.
    await promisify(execFile)(
      python,
      [
        script,
        '--http',
        new URL(gateway.httpUrl).host,
        '--grpc',
        gateway.grpcAddress,
        '--input',
        inputPath,
        '--out',
        out,
        '--api-key',
        gateway.apiKey,
      ],
      { timeout: 90_000 },
    );
    summary = JSON.parse(readFileSync(out, 'utf8')) as ExtensionsSummary;
    reference = await nanodetReference(input, 2);
  }, 120_000);

  afterAll(async () => {
    await gateway?.close();
    if (outDir !== undefined) rmSync(outDir, { recursive: true, force: true });
  });

  it.each([
    ['http', 'binary'],
    ['http', 'json'],
    ['grpc', 'grpc'],
  ] as const)(
    "%s (%s outputs): class_count=3 parses into Triton's strings, BYTES [2, 3]",
    (protocol, path) => {
      const classification = summary[protocol].classification as Record<string, Attempt<Classes>>;
      expect(ok(classification[path], `class_count over ${protocol} ${path}`)).toEqual({
        datatype: 'BYTES',
        shape: [2, 3],
        values: expectedClasses(reference.cls_s32, 2, 3, true),
      });
    },
  );

  it.each([
    ['system_shared_memory_status', 'system_shared_memory'],
    ['register_system_shared_memory', 'system_shared_memory'],
    ['cuda_shared_memory_status', 'cuda_shared_memory'],
    ['trace_settings', 'trace'],
    ['log_settings', 'logging'],
  ] as const)(
    '%s raises the same clear error over HTTP (501) and gRPC (UNIMPLEMENTED)',
    (call, extension) => {
      const message = extensionNotImplemented(extension).message;
      const http = raised(summary.http.unimplemented[call], `HTTP ${call}`);
      expect({ type: http.type, status: http.status, message: http.message }).toEqual({
        type: 'InferenceServerException',
        status: '501',
        message,
      });
      const grpc = raised(summary.grpc.unimplemented[call], `gRPC ${call}`);
      expect({ type: grpc.type, status: grpc.status, message: grpc.message }).toEqual({
        type: 'InferenceServerException',
        status: 'StatusCode.UNIMPLEMENTED',
        message,
      });
    },
  );
});
