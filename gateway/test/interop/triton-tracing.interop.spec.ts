/**
 * W3C trace context reaches a real NVIDIA Triton: the gateway sends `traceparent` on its backend
 * gRPC call, and Triton's own OpenTelemetry trace mode (tritonserver 2.51, `--trace-config
 * mode=opentelemetry`) exports its spans to the same real OTLP receiver (Jaeger) as the gateway.
 * Triton's request span must be in the caller's trace, a child of the gateway's `backend` span
 * (tracing on), or of a fresh hop span id (tracing off: the trace still goes on).
 *
 * Triton 2.51 misreads the header now and then: its GrpcServerCarrier::Get returns the metadata
 * value's `data()` measured with strlen() (seen in the bundled binary's disassembly), and gRPC
 * metadata is not NUL-terminated, so whenever the byte after the 55 characters is not zero the
 * value is too long, OpenTelemetry's parser refuses it and Triton starts a trace of its own. Here
 * that was about 1 request in 7, whether the gateway sent it over grpc-js or its own HTTP/2
 * channel (the exact metadata on the wire is tested in triton-client.spec.ts). So each call names
 * itself with a KServe request id, which Triton records on its request span; a call that Triton
 * put in a trace of its own is sent again with a new caller trace, up to MAX_ATTEMPTS times.
 */
import { randomBytes } from 'node:crypto';
import { until } from '@test-support';
import { CallTracer } from '../../src/tracing/call-tracer';
import type { RunningGateway } from '../../src/gateway-app';
import { authHeaders, startTestGateway } from '../test-gateway';
import {
  parentOf,
  tagOf,
  startJaeger,
  withoutJaeger,
  type JaegerSpan,
  type RunningJaeger,
} from '../tracing/jaeger-server';
import { startTritonServer, withoutTriton, type RunningTriton } from './triton-server';

type ServiceSpan = JaegerSpan & { service: string };

/** Calls per test before Triton's misreading (above) counts as a failure: 0.15^5 ≈ 1 in 13 000. */
const MAX_ATTEMPTS = 5;

const inferBody = (id: string): string =>
  JSON.stringify({
    id,
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

  async function infer(gateway: RunningGateway, header: string, id: string): Promise<void> {
    const response = await fetch(`${gateway.httpUrl}/v2/models/appearance-mobilenetv2/infer`, {
      method: 'POST',
      headers: { ...authHeaders(), 'content-type': 'application/json', traceparent: header },
      body: inferBody(id),
    });
    expect({ status: response.status, body: response.ok ? '' : await response.text() }).toEqual({
      status: 200,
      body: '',
    });
  }

  /** The trace Triton put the call with this KServe request id in, once its spans arrived. */
  async function tritonTraceOf(requestId: string): Promise<string> {
    let traceId = '';
    await until(
      async () => {
        for (const trace of await jaeger.traces('triton')) {
          if (trace.spans.some((span) => tagOf(span, 'triton.request_id') === requestId)) {
            traceId = trace.traceID;
            return true;
          }
        }
        return false;
      },
      `Triton's spans of request ${requestId}`,
      30_000,
    );
    return traceId;
  }

  /**
   * Sends calls with a new caller trace each until Triton continues one (see MAX_ATTEMPTS), and
   * returns that caller and its trace's spans once `gatewaySpans` from the gateway arrived too.
   */
  async function continuedCall(
    gateway: RunningGateway,
    gatewaySpans: number,
  ): Promise<{ caller: ReturnType<typeof traceparent>; spans: ServiceSpan[] }> {
    const misread: string[] = [];
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      const caller = traceparent();
      const requestId = `tracing-${caller.traceId.slice(0, 12)}`;
      await infer(gateway, caller.header, requestId);
      if (gateway === traced) await traced.app.get(CallTracer).flush();
      const tritonTrace = await tritonTraceOf(requestId);
      if (tritonTrace === caller.traceId) {
        let spans: ServiceSpan[] = [];
        await until(
          async () => {
            spans = await jaeger.spans(caller.traceId);
            return spans.filter((span) => span.service === 'gateway').length >= gatewaySpans;
          },
          `${gatewaySpans} gateway spans in trace ${caller.traceId}`,
          30_000,
        );
        if (misread.length > 0) console.log(`Triton misread traceparent: ${misread.join('; ')}`);
        return { caller, spans };
      }
      misread.push(`sent ${caller.header}, Triton traced it as ${tritonTrace}`);
    }
    throw new Error(`Triton continued none of ${MAX_ATTEMPTS} calls: ${misread.join('; ')}`);
  }

  it("makes Triton's request span a child of the gateway's backend span, in the caller's trace", async () => {
    const { caller, spans } = await continuedCall(traced, 7);

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
    const { caller, spans } = await continuedCall(untraced, 0);
    expect(spans.filter((span) => span.service === 'gateway')).toEqual([]);
    const tritonRequest = spans.find((span) => span.operationName === 'InferRequest')!;
    expect(tritonRequest.traceID).toBe(caller.traceId);
    const hop = parentOf(tritonRequest);
    expect(hop).toMatch(/^[0-9a-f]{16}$/);
    expect(hop).not.toBe(caller.parentId);
  });
});
