import { CallTracer } from './call-tracer';
import { CallRecord } from './call-record';

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

function untraced(): CallTracer {
  return new CallTracer({ tracing: { accessLog: true } });
}

describe('a call record without tracing (GATEWAY_OTLP_ENDPOINT empty)', () => {
  it('starts no SDK and holds no span: a stage costs its time, written by name', () => {
    const tracer = untraced();
    expect(tracer.tracing).toBe(false);
    const record = tracer.start({
      protocol: 'http',
      route: '/v2/models/:model/infer',
      requestId: 'abc',
      traceparent: undefined,
      tracestate: undefined,
    });
    expect(record.span).toBeUndefined();
    const started = performance.now();
    record.stageEnded('authorize', started);
    record.stageEnded('route', started, new Error('no such model'));
    expect(Object.keys(record.stagesMs)).toEqual(['authorize', 'route']);
    expect(record.stagesMs.authorize).toBeGreaterThanOrEqual(0);
    // No trace to go on with: the backend call carries no traceparent.
    expect(record.openStage('backend', started)).toBeUndefined();
  });

  it("passes a caller's trace on to the backend with a span id of this hop", () => {
    const record = untraced().start({
      protocol: 'grpc',
      route: 'inference.GRPCInferenceService/ModelInfer',
      requestId: undefined,
      traceparent: TRACEPARENT,
      tracestate: 'vendor=1',
    });
    expect(record.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const opened = record.openStage('backend', performance.now());
    expect(opened?.headers.traceparent).toMatch(
      /^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/,
    );
    expect(opened?.headers.traceparent).not.toContain('b7ad6b7169203331');
    expect(opened?.headers.tracestate).toBe('vendor=1');
    record.stageEnded('backend', performance.now(), undefined, opened);
    expect(record.stagesMs).toHaveProperty('backend');
  });

  it('keeps the model it was routed to, and the version once resolved', () => {
    const record = new CallRecord('id', undefined, undefined);
    record.routed('nanodet');
    expect([record.model, record.version]).toEqual(['nanodet', undefined]);
    record.routed('nanodet', '2');
    expect([record.model, record.version]).toEqual(['nanodet', '2']);
  });
});
