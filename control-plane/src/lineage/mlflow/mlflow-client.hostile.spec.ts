/**
 * The client against a misbehaving server: a real HTTP server on loopback answering as MLflow must
 * not (endless bodies, lies about sizes, silence, redirects, tracebacks). The well-behaved paths
 * are tested against a real MLflow server in control-plane/test/mlflow-client.spec.ts.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ControlPlaneFailure } from '../../errors/control-plane-error';
import { MlflowClient } from './mlflow-client';

const RUN_ID = 'abc123';
type Route = (request: IncomingMessage, response: ServerResponse) => void;

const runJson = JSON.stringify({
  run: {
    info: {
      run_id: RUN_ID,
      experiment_id: '1',
      status: 'FINISHED',
      start_time: 1,
      artifact_uri: `mlflow-artifacts:/1/${RUN_ID}/artifacts`,
    },
  },
});
const listJson = JSON.stringify({ files: [{ path: 'model.onnx', is_dir: false }] });

/** Endless bytes until the client goes away. */
function endless(response: ServerResponse, headers: Record<string, string> = {}): void {
  response.writeHead(200, { 'content-type': 'application/json', ...headers });
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  const pump = (): void => {
    while (!response.destroyed && response.write(chunk));
    if (!response.destroyed) response.once('drain', pump);
  };
  pump();
}

let server: Server;
let uri: string;
let routes: Record<string, Route>;
let seenAuthorization: (string | undefined)[];
let dir: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    seenAuthorization.push(request.headers.authorization);
    const route = routes[(request.url ?? '').split('?')[0] ?? ''];
    if (route) route(request, response);
    else response.writeHead(404).end('no such route');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(async () => {
  routes = {};
  seenAuthorization = [];
  dir = await mkdtemp(path.join(tmpdir(), 'mlflow-hostile-'));
});

afterEach(async () => {
  server.closeAllConnections();
  await rm(dir, { recursive: true, force: true });
});

function client(timeoutMs = 5_000): MlflowClient {
  return new MlflowClient({
    trackingUri: uri,
    timeoutMs,
    token: 's3cret',
    maxResponseBytes: 1 << 20,
  });
}

async function failureOf(promise: Promise<unknown>): Promise<ControlPlaneFailure> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ControlPlaneFailure) return error;
    throw error;
  }
  throw new Error('expected a ControlPlaneFailure, got a result');
}

/** A download route set: the run, its listing and the artifact answer under test. */
function serveArtifact(artifact: Route): void {
  routes['/api/2.0/mlflow/runs/get'] = (_q, r) => r.end(runJson);
  routes['/api/2.0/mlflow/artifacts/list'] = (_q, r) => r.end(listJson);
  routes[`/api/2.0/mlflow-artifacts/artifacts/1/${RUN_ID}/artifacts/model.onnx`] = artifact;
}

describe('MlflowClient against a hostile server', () => {
  it('stops reading an endless JSON answer at maxResponseBytes', async () => {
    routes['/api/2.0/mlflow/runs/get'] = (_q, r) => endless(r);
    const failure = await failureOf(client().getRun(RUN_ID));
    expect(failure.code).toBe('UPSTREAM_ERROR');
    expect(failure.message).toBe(
      `MLflow at ${uri} answered run "${RUN_ID}" with more than ${1 << 20} bytes`,
    );
  });

  it('refuses a declared over-long JSON answer before reading it', async () => {
    routes['/api/2.0/mlflow/runs/get'] = (_q, r) => {
      r.writeHead(200, { 'content-length': String(1 << 30) });
      r.write('{');
    };
    const failure = await failureOf(client().getRun(RUN_ID));
    expect(failure.message).toContain(`with more than ${1 << 20} bytes`);
  });

  it('names a body that is not JSON, and JSON of the wrong shape', async () => {
    routes['/api/2.0/mlflow/runs/get'] = (_q, r) => r.end('<html>login</html>');
    const notJson = await failureOf(client().getRun(RUN_ID));
    expect(notJson.code).toBe('UPSTREAM_ERROR');
    expect(notJson.message).toContain('with a body that is not JSON');

    routes['/api/2.0/mlflow/runs/get'] = (_q, r) => r.end('{"run": {"info": {"run_id": 7}}}');
    const wrongShape = await failureOf(client().getRun(RUN_ID));
    expect(wrongShape.message).toContain('with unexpected JSON at run.info.run_id');
  });

  it("carries MLflow's error_code and only the first line of its message", async () => {
    routes['/api/2.0/mlflow/runs/get'] = (_q, r) =>
      r.writeHead(500, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          error_code: 'INTERNAL_ERROR',
          message: 'boom\nTraceback (most recent call last):\n  File "x.py"',
        }),
      );
    const failure = await failureOf(client().getRun(RUN_ID));
    expect(failure.code).toBe('UPSTREAM_ERROR');
    expect(failure.extensions).toMatchObject({
      mlflowErrorCode: 'INTERNAL_ERROR',
      httpStatus: 500,
    });
    expect(failure.message).toBe(`MLflow at ${uri} refused run "${RUN_ID}" (INTERNAL_ERROR: boom)`);
  });

  it('does not follow a redirect (the token stays here)', async () => {
    routes['/api/2.0/mlflow/runs/get'] = (_q, r) =>
      r.writeHead(302, { location: `${uri}/elsewhere` }).end();
    routes['/elsewhere'] = (_q, r) => r.end(runJson);
    const failure = await failureOf(client().getRun(RUN_ID));
    expect(failure.code).toBe('UPSTREAM_ERROR');
    expect(failure.message).toContain('redirected run "abc123" (HTTP 302)');
    expect(seenAuthorization).toEqual(['Bearer s3cret']);
  });

  it('answers UPSTREAM_UNAVAILABLE when the server accepts but never answers', async () => {
    routes['/api/2.0/mlflow/runs/get'] = () => undefined;
    const started = Date.now();
    const failure = await failureOf(client(300).getRun(RUN_ID));
    expect(failure.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(failure.message).toBe(`MLflow at ${uri} did not answer run "${RUN_ID}" within 300 ms`);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('refuses an endless artifact without a length once it passes maxBytes, leaving no file', async () => {
    serveArtifact((_q, r) => endless(r, { 'content-type': 'application/octet-stream' }));
    const destination = path.join(dir, 'model.onnx');
    const failure = await failureOf(
      client().downloadArtifact(RUN_ID, 'model.onnx', destination, { maxBytes: 4 << 20 }),
    );
    expect(failure.code).toBe('BAD_USER_INPUT');
    expect(failure.message).toBe(
      `artifact "model.onnx" of run ${RUN_ID} is larger than the download limit of ${4 << 20} bytes`,
    );
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses an artifact whose declared length is over maxBytes before reading it', async () => {
    serveArtifact((_q, r) => {
      r.writeHead(200, { 'content-length': String(1 << 30) });
      r.write(Buffer.alloc(1024));
    });
    const failure = await failureOf(
      client().downloadArtifact(RUN_ID, 'model.onnx', path.join(dir, 'm.onnx'), {
        maxBytes: 1 << 20,
      }),
    );
    expect(failure.message).toContain(`is ${1 << 30} bytes, more than the download limit`);
    expect(await readdir(dir)).toEqual([]);
  });

  it('answers UPSTREAM_UNAVAILABLE when the artifact stream stops mid-way, leaving no file', async () => {
    serveArtifact((_q, r) => {
      r.writeHead(200, { 'content-length': '100000' });
      r.write(Buffer.alloc(1000), () => r.destroy());
    });
    const destination = path.join(dir, 'model.onnx');
    const cut = await failureOf(
      client().downloadArtifact(RUN_ID, 'model.onnx', destination, { maxBytes: 1 << 20 }),
    );
    expect(cut.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(cut.message).toContain(`cannot reach MLflow at ${uri} for artifact "model.onnx"`);

    serveArtifact((_q, r) => {
      r.writeHead(200, { 'content-length': '100000' });
      r.write(Buffer.alloc(1000));
    });
    const stalled = await failureOf(
      client(300).downloadArtifact(RUN_ID, 'model.onnx', destination, { maxBytes: 1 << 20 }),
    );
    expect(stalled.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(stalled.message).toContain(
      'did not answer artifact "model.onnx" of run abc123 within 300 ms',
    );
    expect(existsSync(destination)).toBe(false);
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses a tracking URI that is not http(s)', () => {
    expect(() => new MlflowClient({ trackingUri: 'file:///tmp/mlruns', timeoutMs: 1000 })).toThrow(
      /must be http or https/,
    );
  });
});
