import { callerTraceContext, hopHeaders } from './trace-context';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const PARENT = 'b7ad6b7169203331';

describe('W3C trace context', () => {
  it("reads a caller's traceparent as a remote parent, with its tracestate", () => {
    const context = callerTraceContext(`00-${TRACE}-${PARENT}-01`, 'vendor=abc,other=1');
    expect(context).toMatchObject({
      traceId: TRACE,
      spanId: PARENT,
      traceFlags: 1,
      isRemote: true,
    });
    expect(context?.traceState?.serialize()).toBe('vendor=abc,other=1');
  });

  it.each([
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${PARENT}-01`],
    ['an all-zero parent id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['the forbidden version ff', `ff-${TRACE}-${PARENT}-01`],
    ['a short trace id', `00-${TRACE.slice(2)}-${PARENT}-01`],
    ['not hex', `00-${'g'.repeat(32)}-${PARENT}-01`],
    ['free text', 'hello'],
  ])('ignores a traceparent with %s (the call starts its own trace)', (_why, header) => {
    expect(callerTraceContext(header, 'vendor=abc')).toBeUndefined();
  });

  it('drops a tracestate that does not parse or is too long, keeping the parent', () => {
    expect(callerTraceContext(`00-${TRACE}-${PARENT}-01`, '=,=')?.traceState).toBeUndefined();
    const long = `v=${'a'.repeat(600)}`;
    expect(callerTraceContext(`00-${TRACE}-${PARENT}-01`, long)?.traceState).toBeUndefined();
  });

  it("names a new span id as the next hop's parent, keeping the trace, flags and state", () => {
    const context = callerTraceContext(`00-${TRACE}-${PARENT}-00`, 'vendor=abc')!;
    const hop = hopHeaders(context);
    expect(hop.traceparent).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-00$`));
    expect(hop.traceparent).not.toContain(PARENT);
    expect(hop.tracestate).toBe('vendor=abc');
    expect(hopHeaders(context, '1234567890abcdef').traceparent).toBe(
      `00-${TRACE}-1234567890abcdef-00`,
    );
  });
});
