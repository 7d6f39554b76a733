/**
 * A real OTLP receiver for the tracing tests: Jaeger all-in-one (v2, `jaeger` 1.75.0 built from
 * scripts/tools/jaeger/ into .cache/jaeger by scripts/setup.sh --test), started on free loopback
 * ports with in-memory storage, its spans read back through its query API (`/api/traces`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missingPrerequisite, until } from '@test-support';
import { REPO_ROOT } from '../test-gateway';

export const JAEGER_BINARY = process.env.JAEGER_BINARY ?? join(REPO_ROOT, '.cache/jaeger');

/** A span as Jaeger's query API answers it. */
export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: string; traceID: string; spanID: string }[];
  tags: { key: string; type: string; value: unknown }[];
  processID: string;
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

export interface RunningJaeger {
  /** Where an OTLP/HTTP exporter sends traces. */
  readonly otlpTracesUrl: string;
  /** The spans of one trace, each with its service's name; empty while Jaeger has none. */
  spans(traceId: string): Promise<(JaegerSpan & { service: string })[]>;
  /** Traces Jaeger holds for `service`. */
  traces(service: string): Promise<JaegerTrace[]>;
  log(): string;
  stop(): Promise<void>;
}

/** Inside a describe(): true (and a failing test under CI=true) when Jaeger is not built here. */
export function withoutJaeger(): boolean {
  return missingPrerequisite(
    'Jaeger all-in-one (a real OTLP receiver)',
    existsSync(JAEGER_BINARY)
      ? undefined
      : `${JAEGER_BINARY} missing: build it with scripts/setup.sh --test (needs Go and the Go module proxy)`,
  );
}

/** The value of a span's tag, or undefined. */
export function tagOf(span: JaegerSpan, key: string): unknown {
  return span.tags.find((tag) => tag.key === key)?.value;
}

/** The span id a span names as its parent (CHILD_OF), or undefined for a root. */
export function parentOf(span: JaegerSpan): string | undefined {
  return span.references.find((reference) => reference.refType === 'CHILD_OF')?.spanID;
}

export async function startJaeger(): Promise<RunningJaeger> {
  const [otlp, query, grpc] = await freePorts(3);
  const dir = mkdtempSync(join(tmpdir(), 'jaeger-'));
  const configPath = join(dir, 'config.yaml');
  writeFileSync(configPath, config({ otlp, query, grpc }));
  const child: ChildProcess = spawn(JAEGER_BINARY, [`--config=file:${configPath}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk));
  const log = (): string => Buffer.concat(chunks).toString('utf8');
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const queryUrl = `http://127.0.0.1:${query}`;
  const stop = async (): Promise<void> => {
    if (!exited) child.kill('SIGTERM');
    await Promise.race([exit, new Promise((resolve) => setTimeout(resolve, 5000))]);
    if (!exited) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await until(
      async () => {
        if (exited) throw new Error(`jaeger exited at start:\n${log()}`);
        return (await fetch(`${queryUrl}/api/services`).catch(() => undefined))?.ok === true;
      },
      'Jaeger answering its query API',
      30_000,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  const getJson = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${queryUrl}${path}`);
    return (await response.json()) as T;
  };
  return {
    otlpTracesUrl: `http://127.0.0.1:${otlp}/v1/traces`,
    async spans(traceId) {
      const { data } = await getJson<{ data: JaegerTrace[] | null }>(`/api/traces/${traceId}`);
      return (data ?? []).flatMap((trace) =>
        trace.spans.map((span) => ({
          ...span,
          service: trace.processes[span.processID]?.serviceName ?? '',
        })),
      );
    },
    async traces(service) {
      const { data } = await getJson<{ data: JaegerTrace[] | null }>(
        `/api/traces?service=${encodeURIComponent(service)}&limit=1000`,
      );
      return data ?? [];
    },
    log,
    stop,
  };
}

/** Jaeger v2's all-in-one pipeline (OTLP/HTTP in, memory store, query API) on the given ports. */
function config(ports: { otlp: number; query: number; grpc: number }): string {
  return `service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:${ports.query}
    grpc:
      endpoint: 127.0.0.1:${ports.grpc}
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 10000
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${ports.otlp}
processors:
  batch:
    timeout: 50ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`;
}

/** Distinct free loopback ports: all bound at once (port 0), then released. */
async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i += 1) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no port bound');
      ports.push(address.port);
    }
    return ports;
  } finally {
    await Promise.all(
      servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
    );
  }
}
