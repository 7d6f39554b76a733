/** W3C trace-context headers for one hop to a backend: the call's trace, a span id of this hop. */
export interface TraceHeaders {
  traceparent: string;
  tracestate?: string;
}

/** A stage opened ahead of its end because a hop out of the gateway carries its span id. */
export interface OpenedStage {
  readonly headers: TraceHeaders;
}

/**
 * What one call leaves for its access log line and its trace (`tracing/call-record.ts`): created
 * by the front door, filled in by the call pipeline and its stages, read by the front door once
 * the call answered. Without tracing a stage costs a timestamp and a number written here.
 */
export interface CallTrace {
  /** `x-request-id`: the caller's when sane, else made by the gateway. */
  readonly requestId: string;
  /** Milliseconds per stage, by stage name, as the call met them. */
  readonly stagesMs: Readonly<Record<string, number>>;
  /** A KServe request's own `id` (kept as Triton keeps it: echoed in the answer), for the log. */
  kserveId: string | undefined;
  /** The model the call names, and the version that serves it once routed. */
  routed(model: string, version?: string): void;
  /**
   * A stage ended: its time since `startedAt` (`performance.now()`) is recorded and, when tracing,
   * a child span of the call covers it (failed when `failure` is given; `opened` ends that span).
   */
  stageEnded(name: string, startedAt: number, failure?: unknown, opened?: OpenedStage): void;
  /**
   * Opens a stage that calls out (the backend), so its span id can go with the call; undefined
   * when the call has no trace (no `traceparent` from the caller and tracing off).
   */
  openStage(name: string, startedAt: number): OpenedStage | undefined;
}
