import { create } from '@bufbuild/protobuf';
import { DetectRequestSchema, VisionService } from '@contracts/generated/vision/v1/vision_pb';
import type { RunningGateway } from '../src/gateway-app';
import { authHeaders, callUnary, grpcClient, sampleImage, startTestGateway } from './test-gateway';
import { sampleValue } from './prometheus-text';

describe('gateway metrics', () => {
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(() => gateway.close());

  it('counts requests by protocol, route, model and outcome, and times inference and pre/postprocessing', async () => {
    const image = sampleImage('messi5.jpg');
    const detect = (query = ''): Promise<Response> =>
      fetch(`${gateway.httpUrl}/v1/models/nanodet/detect${query}`, {
        method: 'POST',
        headers: { ...authHeaders(), 'content-type': 'image/jpeg' },
        body: image,
      });
    expect((await detect()).status).toBe(200);
    expect((await detect('?scoreThreshold=7')).status).toBe(400);
    const client = grpcClient(VisionService, gateway.grpcAddress);
    await callUnary(client, 'detect', create(DetectRequestSchema, { model: 'nanodet', image }));
    client.close();

    const text = await (
      await fetch(`${gateway.httpUrl}/metrics`, { headers: authHeaders() })
    ).text();
    const route = '/v1/models/:model/detect';
    expect(
      sampleValue(text, 'gateway_request_duration_seconds_count', {
        protocol: 'http',
        route,
        model: 'nanodet',
        outcome: 'ok',
      }),
    ).toBe(1);
    expect(
      sampleValue(text, 'gateway_request_duration_seconds_count', {
        protocol: 'http',
        route,
        model: 'nanodet',
        outcome: 'client_error',
      }),
    ).toBe(1);
    expect(
      sampleValue(text, 'gateway_request_duration_seconds_count', {
        protocol: 'grpc',
        route: 'vision.v1.VisionService/Detect',
        outcome: 'ok',
      }),
    ).toBe(1);
    expect(
      sampleValue(text, 'gateway_inference_duration_seconds_count', {
        backend: 'embedded-onnxruntime',
        model: 'nanodet',
        version: '1',
      }),
    ).toBe(2);
    expect(
      sampleValue(text, 'gateway_preprocess_duration_seconds_count', { model: 'nanodet' }),
    ).toBe(2);
    expect(
      sampleValue(text, 'gateway_postprocess_duration_seconds_count', { model: 'nanodet' }),
    ).toBe(2);
    expect(
      sampleValue(text, 'gateway_detections_total', { model: 'nanodet', label: 'person' }),
    ).toBe(2);
    // The scrape itself is in flight while the gauge is read.
    expect(sampleValue(text, 'gateway_requests_in_flight', { protocol: 'http' })).toBe(1);
    expect(text).toContain('process_resident_memory_bytes');
  });

  it('counts gRPC calls the auth guard refuses, as HTTP refusals are counted', async () => {
    const route = 'vision.v1.VisionService/Detect';
    const refused = async () =>
      sampleValue(
        await (await fetch(`${gateway.httpUrl}/metrics`, { headers: authHeaders() })).text(),
        'gateway_request_duration_seconds_count',
        { protocol: 'grpc', route, outcome: 'client_error' },
      ) ?? 0;
    const before = await refused();
    const anonymous = grpcClient(VisionService, gateway.grpcAddress, { apiKey: null });
    try {
      const request = create(DetectRequestSchema, {
        model: 'nanodet',
        image: sampleImage('messi5.jpg'),
      });
      await expect(callUnary(anonymous, 'detect', request)).rejects.toMatchObject({ code: 16 });
    } finally {
      anonymous.close();
    }
    expect(await refused()).toBe(before + 1);
  });

  it('keeps the in-flight gauge at zero when requests are refused before they are counted', async () => {
    // Regression (fuzzing): the auth hook refused these before the in-flight hook ran, but the
    // response hook still decremented, so the gauge went negative.
    for (let i = 0; i < 3; i += 1) {
      expect((await fetch(`${gateway.httpUrl}/v2/models/nanodet`)).status).toBe(401);
    }
    const text = await (
      await fetch(`${gateway.httpUrl}/metrics`, { headers: authHeaders() })
    ).text();
    // The /metrics request itself is the one in flight.
    expect(sampleValue(text, 'gateway_requests_in_flight', { protocol: 'http' })).toBe(1);
  });
});
