/**
 * W3C trace context reaches a real NVIDIA Triton: the gateway sends `traceparent` on its backend
 * gRPC call, and Triton's own OpenTelemetry trace mode (tritonserver 2.51, `--trace-config
 * mode=opentelemetry`) exports its spans to the same real OTLP receiver (Jaeger) as the gateway.
 * Triton's request span must be in the caller's trace, a child of the gateway's `backend` span
 * (tracing on), or of a fresh hop span id (tracing off: the trace still goes on).
 */
import { randomBytes } from 'node:crypto';
import { until } from '@test-support';
import { CallTracer } from '../../src/tracing/call-tracer';
import type { RunningGateway } from '../../src/gateway-app';
import { authHeaders, startTestGateway } from '../test-gateway';
import {
  parentOf,
  startJaeger,
  withoutJaeger,
  type JaegerSpan,
  type RunningJaeger,
} from '../tracing/jaeger-server';
import { startTritonServer, withoutTriton, type RunningTriton } from './triton-server';

type ServiceSpan = JaegerSpan & { service: string };

const inferBody = JSON.stringify({
  inputs: [
    {
      name: 'images',
      datatype: 'FP32',
      shape: [1, 3, 128, 64],
      data: new Array<number>(3 * 128 * 64).fill(0.5),
    },
  ],
});

function traceparent(): { traceId: string; parentId: string; header: string } {
  const traceId = randomBytes(16).toString('hex');
  const parentId = randomBytes(8).toString('hex');
  return { traceId, parentId, header: `00-${traceId}-${parentId}-01` };
}

describe('traceparent reaches a real Triton (its OpenTelemetry spans, in Jaeger)', () => {
  if (withoutTriton('the trace propagation interop spec')) return;
  if (withoutJaeger()) return;

  let jaeger: RunningJaeger;
  let triton: RunningTriton;
  let traced: RunningGateway;
  let untraced: RunningGateway;

  beforeAll(async () => {
    jaeger = await startJaeger();
    triton = await startTritonServer({
      traceConfig: [
        'mode=opentelemetry',
        `opentelemetry,url=${jaeger.otlpTracesUrl}`,
        'opentelemetry,resource=service.name=triton',
        // Export within 100 ms rather than Triton's default 5 s.
        'opentelemetry,bsp_schedule_delay=100',
        'rate=1',
        'level=TIMESTAMPS',
      ],
    });
    const backend = { TRITON_GRPC_URLS: triton.grpcAddress, TRITON_TIMEOUT_MS: '30000' };
    traced = await startTestGateway({
      ...backend,
      GATEWAY_OTLP_ENDPOINT: jaeger.otlpTracesUrl,
      GATEWAY_OTLP_SERVICE_NAME: 'gateway',
    });
    untraced = await startTestGateway(backend);
  }, 180_000);

  afterAll(async () => {
    await traced?.close();
    await untraced?.close();
    await triton?.stop();
    await jaeger?.stop();
  });

  async function infer(gateway: RunningGateway, header: string): Promise<void> {
    const response = await fetch(`${gateway.httpUrl}/v2/models/appearance-mobilenetv2/infer`, {
      method: 'POST',
      headers: { ...authHeaders(), 'content-type': 'application/json', traceparent: header },
      body: inferBody,
    });
    expect({ status: response.status, body: response.ok ? '' : await response.text() }).toEqual({
      status: 200,
      body: '',
    });
  }

  /** The trace's spans once one from Triton (and `gatewaySpans` from the gateway) arrived. */
  async function spansOf(traceId: string, gatewaySpans: number): Promise<ServiceSpan[]> {
    let spans: ServiceSpan[] = [];
    // On a timeout, say which traces Triton did export.
    const found = async (): Promise<string> =>
      JSON.stringify((await jaeger.traces('triton')).map((trace) => trace.traceID));
    await until(
      async () => {
        spans = await jaeger.spans(traceId);
        return (
          spans.some(
            (span) => span.service === 'triton' && span.operationName === 'InferRequest',
          ) && spans.filter((span) => span.service === 'gateway').length >= gatewaySpans
        );
      },
      `Triton's InferRequest span in trace ${traceId}`,
      30_000,
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}; Triton's traces in Jaeger: ${await found()}`);
    });
    return spans;
  }

  it("makes Triton's request span a child of the gateway's backend span, in the caller's trace", async () => {
    const caller = traceparent();
    await infer(traced, caller.header);
    await traced.app.get(CallTracer).flush();
    const spans = await spansOf(caller.traceId, 7);

    const root = spans.find(
      (span) => span.service === 'gateway' && parentOf(span) === caller.parentId,
    )!;
    expect(root.operationName).toBe('POST /v2/models/:model/infer');
    const backend = spans.find(
      (span) => span.service === 'gateway' && span.operationName === 'backend',
    )!;
    expect(parentOf(backend)).toBe(root.spanID);
    const tritonRequest = spans.find((span) => span.operationName === 'InferRequest')!;
    expect(tritonRequest.traceID).toBe(caller.traceId);
    expect(parentOf(tritonRequest)).toBe(backend.spanID);
    // Triton's own spans below it (the model's, its compute) share the trace.
    expect(spans.filter((span) => span.service === 'triton').length).toBeGreaterThan(1);
  });

  it('passes the trace on with a hop span id of its own when the gateway does not trace', async () => {
    const caller = traceparent();
    await infer(untraced, caller.header);
    const spans = await spansOf(caller.traceId, 0);
    expect(spans.filter((span) => span.service === 'gateway')).toEqual([]);
    const tritonRequest = spans.find((span) => span.operationName === 'InferRequest')!;
    expect(tritonRequest.traceID).toBe(caller.traceId);
    const hop = parentOf(tritonRequest);
    expect(hop).toMatch(/^[0-9a-f]{16}$/);
    expect(hop).not.toBe(caller.parentId);
  });
});
