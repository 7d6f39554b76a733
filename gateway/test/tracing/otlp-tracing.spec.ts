/**
 * OpenTelemetry tracing (GATEWAY_OTLP_ENDPOINT) into a real OTLP receiver, Jaeger all-in-one: a
 * span per call continuing the caller's `traceparent`, a child span per pipeline stage (KServe:
 * authorize … admit, batch, backend; detect: decode, preprocess, infer, decode-detections, nms,
 * map-boxes), with the model, resolved version and status, read back through Jaeger's query API.
 */
import { randomBytes } from 'node:crypto';
import { until } from '@test-support';
import { CallTracer } from '../../src/tracing/call-tracer';
import { authHeaders, sampleImage, startTestGateway, type TestGateway } from '../test-gateway';
import {
  parentOf,
  startJaeger,
  tagOf,
  withoutJaeger,
  type JaegerSpan,
  type RunningJaeger,
} from './jaeger-server';

const SERVICE = 'gateway-under-test';

function traceparent(): { traceId: string; parentId: string; header: string } {
  const traceId = randomBytes(16).toString('hex');
  const parentId = randomBytes(8).toString('hex');
  return { traceId, parentId, header: `00-${traceId}-${parentId}-01` };
}

const inferBody = JSON.stringify({
  inputs: [
    {
      name: 'images',
      datatype: 'FP32',
      shape: [1, 3, 128, 64],
      data: new Array<number>(3 * 128 * 64).fill(0.25),
    },
  ],
});

describe('OpenTelemetry tracing into a real OTLP receiver (Jaeger)', () => {
  if (withoutJaeger()) return;

  let jaeger: RunningJaeger;
  let gateway: TestGateway;

  beforeAll(async () => {
    jaeger = await startJaeger();
    gateway = await startTestGateway({
      GATEWAY_OTLP_ENDPOINT: jaeger.otlpTracesUrl,
      GATEWAY_OTLP_SERVICE_NAME: SERVICE,
    });
  }, 120_000);

  afterAll(async () => {
    await gateway?.close();
    await jaeger?.stop();
  });

  /** The trace's spans once `count` of them reached Jaeger (the gateway flushes first). */
  async function spansOf(traceId: string, count: number): Promise<JaegerSpan[]> {
    await gateway.app.get(CallTracer).flush();
    let spans: JaegerSpan[] = [];
    await until(
      async () => (spans = await jaeger.spans(traceId)).length >= count,
      `${count} spans of trace ${traceId} in Jaeger (log: ${jaeger.log().slice(-500)})`,
      20_000,
    );
    return spans;
  }

  it('continues the caller trace: one server span per call, a child span per stage', async () => {
    const caller = traceparent();
    const response = await fetch(`${gateway.httpUrl}/v2/models/appearance-mobilenetv2/infer`, {
      method: 'POST',
      headers: {
        ...authHeaders(),
        'content-type': 'application/json',
        'x-request-id': 'traced-1',
        traceparent: caller.header,
      },
      body: inferBody,
    });
    expect(response.status).toBe(200);

    const stages = ['authorize', 'rate-limit', 'route', 'precheck', 'admit', 'batch', 'backend'];
    const spans = await spansOf(caller.traceId, 1 + stages.length);
    const root = spans.find((span) => span.operationName === 'POST /v2/models/:model/infer')!;
    expect(root).toBeDefined();
    expect(parentOf(root)).toBe(caller.parentId);
    expect(tagOf(root, 'gateway.request_id')).toBe('traced-1');
    expect(tagOf(root, 'gateway.model')).toBe('appearance-mobilenetv2');
    expect(tagOf(root, 'gateway.model_version')).toBe('1');
    expect(tagOf(root, 'gateway.tenant')).toBe('admin');
    expect(tagOf(root, 'http.route')).toBe('/v2/models/:model/infer');
    expect(Number(tagOf(root, 'http.response.status_code'))).toBe(200);
    expect(tagOf(root, 'span.kind')).toBe('server');
    const jaegerSpans = await jaeger.traces(SERVICE);
    expect(jaegerSpans.some((trace) => trace.traceID === caller.traceId)).toBe(true);

    const children = spans.filter((span) => span !== root);
    expect(children.map((span) => span.operationName).sort()).toEqual([...stages].sort());
    for (const child of children) expect(parentOf(child)).toBe(root.spanID);
    expect(
      tagOf(
        children.find((span) => span.operationName === 'backend')!,
        'span.kind',
      ),
    ).toBe('client');
  });

  it("traces a detect's vision stages, and starts a trace of its own without a traceparent", async () => {
    const response = await fetch(`${gateway.httpUrl}/v1/models/nanodet/detect`, {
      method: 'POST',
      headers: { ...authHeaders(), 'content-type': 'image/jpeg', 'x-request-id': 'traced-2' },
      body: sampleImage('messi5.jpg'),
    });
    expect(response.status).toBe(200);
    await gateway.app.get(CallTracer).flush();
    let root: JaegerSpan | undefined;
    await until(
      async () =>
        (root = (await jaeger.traces(SERVICE))
          .flatMap((trace) => trace.spans)
          .find((span) => tagOf(span, 'gateway.request_id') === 'traced-2')) !== undefined,
      'the detect trace in Jaeger',
      20_000,
    );
    expect(parentOf(root!)).toBeUndefined();
    const vision = ['decode', 'preprocess', 'infer', 'decode-detections', 'nms', 'map-boxes'];
    const spans = await spansOf(root!.traceID, 1 + 5 + vision.length + 2);
    const names = spans.map((span) => span.operationName);
    expect(names).toEqual(expect.arrayContaining([...vision, 'authorize', 'admit', 'backend']));
    expect(tagOf(root!, 'gateway.model')).toBe('nanodet');
  });

  it('marks the stage that refused a call as failed, with its kind', async () => {
    const caller = traceparent();
    // An unknown class name: refused by the precheck stage, before any pixel work.
    const response = await fetch(`${gateway.httpUrl}/v1/models/nanodet/detect?classes=unicorn`, {
      method: 'POST',
      headers: { ...authHeaders(), 'content-type': 'image/jpeg', traceparent: caller.header },
      body: sampleImage('messi5.jpg'),
    });
    expect(response.status).toBe(400);
    const spans = await spansOf(caller.traceId, 5);
    const root = spans.find((span) => parentOf(span) === caller.parentId)!;
    expect(Number(tagOf(root, 'http.response.status_code'))).toBe(400);
    // A client's error is not the server's failure (OpenTelemetry's HTTP server convention).
    expect(tagOf(root, 'otel.status_code')).toBeUndefined();
    const precheck = spans.find((span) => span.operationName === 'precheck')!;
    expect(tagOf(precheck, 'otel.status_code')).toBe('ERROR');
    expect(tagOf(precheck, 'otel.status_description')).toBe('invalid_argument');
    expect(spans.map((span) => span.operationName)).not.toContain('admit');
  });
});
