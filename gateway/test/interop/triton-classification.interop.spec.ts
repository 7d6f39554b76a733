/**
 * The classification extension against a real Triton on the same model: tritonclient's
 * InferRequestedOutput(name, class_count=N) answered by Triton 2.51 (triton-server.ts) and by the
 * gateway (embedded backend) for the same input, through tritonclient_extensions.py. Both run the
 * committed nanodet ONNX file on ONNX Runtime, so the strings must be the same, character for
 * character (value formatting, index, label, order, shape). Also records what Triton itself answers
 * for the extensions the gateway does not implement.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { writeNpyFloat32 } from '../conformance/npy';
import { ok, type Attempt } from '../conformance/tritonclient-summary';
import { NANODET_INPUT_SIZE } from '../nanodet-reference';
import { REPO_ROOT, seededFloats, startTestGateway, type TestGateway } from '../test-gateway';
import {
  startTritonServer,
  TRITON_PYTHON,
  withoutTriton,
  type RunningTriton,
} from './triton-server';

const script = join(REPO_ROOT, 'gateway/test/conformance/tritonclient_extensions.py');

interface Classes {
  datatype: string;
  shape: number[];
  values: string[];
}
interface Summary {
  http: { classification: Record<'binary' | 'json', Attempt<Classes>> };
  grpc: { classification: { grpc: Attempt<Classes> } };
}

/** Elements of one batch row of nanodet's reg_s32 output ([169, 44]). */
const REG_S32_ROW = 169 * 44;

describe('classification extension: the gateway answers as a real Triton does', () => {
  if (withoutTriton('classification against Triton')) return;

  const input = seededFloats(2 * NANODET_INPUT_SIZE, 20260613);
  let triton: RunningTriton;
  let gateway: TestGateway;
  let outDir: string;
  const answers: Record<'triton' | 'gateway', Record<string, Summary>> = {
    triton: {},
    gateway: {},
  };

  async function run(
    server: 'triton' | 'gateway',
    http: string,
    grpc: string,
    output: string,
    count: number,
    apiKey?: string,
  ) {
    const out = join(outDir, `${server}-${output}-${count}.json`);
    await promisify(execFile)(
      TRITON_PYTHON,
      [
        script,
        '--http',
        http,
        '--grpc',
        grpc,
        '--input',
        join(outDir, 'input.npy'),
        '--out',
        out,
        '--output',
        output,
        '--class-count',
        String(count),
        ...(apiKey ? ['--api-key', apiKey] : []),
      ],
      { timeout: 120_000, env: { ...process.env, GATEWAY_API_KEY: '' } },
    );
    answers[server][`${output}/${count}`] = JSON.parse(readFileSync(out, 'utf8')) as Summary;
  }

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'triton-classification-'));
    writeNpyFloat32(join(outDir, 'input.npy'), input, [2, 3, 416, 416]);
    triton = await startTritonServer();
    gateway = await startTestGateway();
    for (const [output, count] of [
      ['cls_s32', 5],
      ['reg_s32', 2],
      ['cls_s8', 1],
      ['reg_s32', REG_S32_ROW + 10], // more than a row holds: the whole row, ranked
    ] as const) {
      await run('triton', triton.httpAddress, triton.grpcAddress, output, count);
      await run(
        'gateway',
        new URL(gateway.httpUrl).host,
        gateway.grpcAddress,
        output,
        count,
        gateway.apiKey,
      );
    }
  }, 300_000);

  afterAll(async () => {
    await gateway?.close();
    await triton?.stop();
    if (outDir !== undefined) rmSync(outDir, { recursive: true, force: true });
  });

  it.each([['cls_s32/5'], ['reg_s32/2'], ['cls_s8/1'], [`reg_s32/${REG_S32_ROW + 10}`]])(
    '%s: the same strings, datatype and shape from both, over HTTP (binary, JSON) and gRPC',
    (key) => {
      const pick = (summary: Summary) => ({
        binary: ok(summary.http.classification.binary, `${key} HTTP binary`),
        json: ok(summary.http.classification.json, `${key} HTTP JSON`),
        grpc: ok(summary.grpc.classification.grpc, `${key} gRPC`),
      });
      const fromTriton = pick(answers.triton[key]);
      expect(fromTriton.binary.datatype).toBe('BYTES');
      expect(fromTriton.binary.shape).toEqual([
        2,
        Math.min(Number(key.split('/')[1]), REG_S32_ROW),
      ]);
      expect(pick(answers.gateway[key])).toEqual(fromTriton);
    },
  );
});
