import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { missingPrerequisite } from '@test-support';
import { GRPCInferenceService } from '@contracts/generated/inference/grpc_service_pb';
import {
  nanodetBinaryInferBody,
  nanodetInferRequest,
  NANODET_INPUT_SIZE,
} from './nanodet-reference';
import { sampleValue } from './prometheus-text';
import {
  authHeaders,
  callUnary,
  grpcClient,
  sampleImage,
  seededFloats,
  startTestGateway,
  type TestGateway,
} from './test-gateway';

/** Debian's `prometheus` package. */
const PROMTOOL = '/usr/bin/promtool';

/** `promtool check metrics` on an exposition: its exit status and every problem it names. */
function promtoolCheck(exposition: string): { status: number | null; problems: string[] } {
  const run = spawnSync(PROMTOOL, ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  const problems = `${run.stdout}${run.stderr}`
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  return { status: run.status, problems };
}

/**
 * Triton's own names break Prometheus' naming rules; these are the only problems promtool may
 * report on /metrics/triton (they are what Triton's dashboards query).
 */
const TRITON_NAMING = [
  'nv_inference_compute_infer_duration_us counter metrics should have "_total" suffix',
  'nv_inference_compute_infer_duration_us metric names should not contain abbreviated units',
  'nv_inference_compute_input_duration_us counter metrics should have "_total" suffix',
  'nv_inference_compute_input_duration_us metric names should not contain abbreviated units',
  'nv_inference_compute_output_duration_us counter metrics should have "_total" suffix',
  'nv_inference_compute_output_duration_us metric names should not contain abbreviated units',
  'nv_inference_count counter metrics should have "_total" suffix',
  'nv_inference_count non-histogram and non-summary metrics should not have "_count" suffix',
  'nv_inference_exec_count counter metrics should have "_total" suffix',
  'nv_inference_exec_count non-histogram and non-summary metrics should not have "_count" suffix',
  'nv_inference_queue_duration_us counter metrics should have "_total" suffix',
  'nv_inference_queue_duration_us metric names should not contain abbreviated units',
  'nv_inference_request_duration_us counter metrics should have "_total" suffix',
  'nv_inference_request_duration_us metric names should not contain abbreviated units',
  'nv_inference_request_failure counter metrics should have "_total" suffix',
  'nv_inference_request_success counter metrics should have "_total" suffix',
];

describe('metrics as Prometheus tooling reads them (real promtool)', () => {
  if (
    missingPrerequisite(
      'promtool',
      existsSync(PROMTOOL) ? undefined : `${PROMTOOL} not found (Debian package prometheus)`,
    )
  ) {
    return;
  }

  let gateway: TestGateway;
  const scrape = async (path: string): Promise<string> => {
    const response = await fetch(`${gateway.httpUrl}${path}`, { headers: authHeaders() });
    expect(response.status).toBe(200);
    return response.text();
  };

  beforeAll(async () => {
    gateway = await startTestGateway();
    // Sequential calls (each its own execution): KServe infer of batch 1, 1 and 3 over REST and
    // of batch 1 over gRPC; two detect calls; a detect call whose image does not decode
    // (admitted, then failed).
    for (const batch of [1, 1, 3]) {
      const infer = nanodetBinaryInferBody(seededFloats(batch * NANODET_INPUT_SIZE, 5), batch);
      const response = await fetch(`${gateway.httpUrl}/v2/models/nanodet/infer`, {
        method: 'POST',
        headers: { ...authHeaders(), ...infer.headers },
        body: infer.body,
      });
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    const client = grpcClient(GRPCInferenceService, gateway.grpcAddress);
    try {
      const input = seededFloats(NANODET_INPUT_SIZE, 6);
      await callUnary(client, 'modelInfer', nanodetInferRequest(input, 1, { id: 'g' }));
    } finally {
      client.close();
    }
    const corrupt = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 7)]);
    for (const [image, expected] of [
      [sampleImage('messi5.jpg'), 200],
      [sampleImage('messi5.jpg'), 200],
      [corrupt, 400],
    ] as const) {
      const response = await fetch(`${gateway.httpUrl}/v1/models/nanodet/detect`, {
        method: 'POST',
        headers: { ...authHeaders(), 'content-type': 'image/jpeg' },
        body: image,
      });
      expect(response.status).toBe(expected);
      await response.arrayBuffer();
    }
  }, 120_000);

  afterAll(() => gateway?.close());

  it('/metrics passes promtool check metrics with no problem at all', async () => {
    const text = await scrape('/metrics');
    expect(promtoolCheck(text)).toEqual({ status: 0, problems: [] });
  });

  it('/metrics: latency by the version that served and the status code; tenant usage; confidence by class', async () => {
    const text = await scrape('/metrics');
    // The calls named no version: the series carries the one the route resolved.
    const detectOk = {
      protocol: 'http',
      route: '/v1/models/:model/detect',
      model: 'nanodet',
      version: '1',
      code: '200',
    };
    expect(sampleValue(text, 'gateway_request_duration_seconds_count', detectOk)).toBe(2);
    expect(
      sampleValue(text, 'gateway_request_duration_seconds_count', { ...detectOk, code: '400' }),
    ).toBe(1);
    expect(
      sampleValue(text, 'gateway_request_duration_seconds_count', {
        protocol: 'grpc',
        route: 'inference.GRPCInferenceService/ModelInfer',
        model: 'nanodet',
        version: '1',
        code: 'OK',
      }),
    ).toBe(1);
    // Buckets reach past the default deadline (30 s) up to 300 s.
    expect(
      sampleValue(text, 'gateway_request_duration_seconds_bucket', { ...detectOk, le: '300' }),
    ).toBe(2);
    // The test key's tenant: 7 calls reached admission, 6 answered, carrying 1 + 1 + 3 + 1 + 1 + 1
    // images.
    expect(
      sampleValue(text, 'gateway_tenant_requests_total', {
        tenant: 'admin',
        model: 'nanodet',
        outcome: 'ok',
      }),
    ).toBe(6);
    expect(
      sampleValue(text, 'gateway_tenant_requests_total', {
        tenant: 'admin',
        model: 'nanodet',
        outcome: 'client_error',
      }),
    ).toBe(1);
    expect(
      sampleValue(text, 'gateway_tenant_images_total', { tenant: 'admin', model: 'nanodet' }),
    ).toBe(8);
    // messi5.jpg: a person in each of the two answers.
    const person = sampleValue(text, 'gateway_detection_confidence_count', {
      model: 'nanodet',
      version: '1',
      class: 'person',
    });
    expect(person).toBeGreaterThanOrEqual(2);
    expect(
      sampleValue(text, 'gateway_detection_confidence_bucket', {
        model: 'nanodet',
        version: '1',
        class: 'person',
        le: '1',
      }),
    ).toBe(person);
  });

  it("/metrics/triton: Triton's series count the calls made; promtool names only Triton's own naming", async () => {
    const text = await scrape('/metrics/triton');
    const nanodet = { model: 'nanodet', version: '1' };
    const value = (name: string, labels: Record<string, string> = {}) =>
      sampleValue(text, name, { ...nanodet, ...labels });
    expect(value('nv_inference_request_success')).toBe(6);
    expect(value('nv_inference_request_failure', { reason: 'OTHER' })).toBe(1);
    for (const reason of ['REJECTED', 'CANCELED', 'BACKEND']) {
      expect(value('nv_inference_request_failure', { reason })).toBe(0);
    }
    expect(value('nv_inference_count')).toBe(8);
    expect(value('nv_inference_exec_count')).toBe(6);
    for (const name of [
      'nv_inference_request_duration_us',
      'nv_inference_queue_duration_us',
      'nv_inference_compute_input_duration_us',
      'nv_inference_compute_infer_duration_us',
      'nv_inference_compute_output_duration_us',
    ]) {
      expect(value(name)).toBeGreaterThan(0);
    }
    // Microseconds, as Triton: the requests' time covers the backend's.
    expect(value('nv_inference_request_duration_us')).toBeGreaterThanOrEqual(
      value('nv_inference_compute_infer_duration_us') ?? Infinity,
    );
    expect(text).toContain('# TYPE nv_inference_request_success counter');
    const { problems } = promtoolCheck(text);
    expect(problems.sort()).toEqual([...TRITON_NAMING].sort());
  });
});
