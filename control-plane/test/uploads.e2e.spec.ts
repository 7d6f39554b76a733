import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readdir, readFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { memory, resetPeakRss } from '@test-support';
import { RawConnection } from './hostile/raw-http';
import { ControlPlaneProcess } from './support/control-plane-process';
import { TEST_ADMIN_KEY } from './support/test-credentials';
import { createTemporaryDirectory, removeDirectory } from './support/temporary-directory';
import { REPOSITORY_ROOT } from './support/typescript-process';

/** Artifact uploads (`/v1/uploads`) against the real control plane process. */
const MIB = 1024 * 1024;
const MAX_UPLOAD_BYTES = 300 * MIB;
const REQUEST_TIMEOUT_MS = 1000;
const IDLE_TIMEOUT_MS = 2000;
const OCTETS = 'application/offset+octet-stream';
const AUTHORIZATION = `Authorization: Bearer ${TEST_ADMIN_KEY}\r\n`;

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/** Streams `chunks` as a request body (Content-Length when given, else chunked), with backpressure. */
async function send(
  baseUrl: string,
  method: string,
  urlPath: string,
  headers: Record<string, string>,
  chunks: AsyncIterable<Buffer> | Iterable<Buffer> = [],
  credential: string | null = TEST_ADMIN_KEY,
): Promise<Answer> {
  const request = httpRequest(`${baseUrl}${urlPath}`, {
    method,
    headers: {
      ...(credential === null ? {} : { authorization: `Bearer ${credential}` }),
      ...headers,
    },
    agent: false,
  });
  const answered = new Promise<Answer>((resolve, reject) => {
    request.once('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.once('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
        }),
      );
      response.once('error', reject);
    });
    request.once('error', reject);
  });
  let answer: Answer | undefined;
  void answered.then((value) => (answer = value)).catch(() => undefined);
  for await (const chunk of chunks) {
    // The server may answer (and stop reading) before the body is all sent.
    if (answer !== undefined || request.destroyed) break;
    if (!request.write(chunk)) await Promise.race([once(request, 'drain'), answered]);
  }
  request.end();
  return answered;
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const octets = (offset: number, extra: Record<string, string> = {}) => ({
  'content-type': OCTETS,
  'upload-offset': String(offset),
  ...extra,
});
const codeOf = (answer: Answer): unknown =>
  (answer.body.errors as { extensions: { code: string } }[] | undefined)?.[0]?.extensions.code;

/** `count` chunks of `size` pseudo-random bytes (a few distinct patterns, not zeros). */
function* pattern(count: number, size: number): Generator<Buffer> {
  const blocks = [1, 2, 3].map((seed) => Buffer.alloc(size, `block ${seed} of a model artifact;`));
  for (let i = 0; i < count; i += 1) yield blocks[i % blocks.length];
}

describe('artifact uploads, end to end (real process)', () => {
  let workDir: string;
  let env: Record<string, string>;
  let app: ControlPlaneProcess | undefined;
  let nanodet: Buffer;

  const start = async (): Promise<ControlPlaneProcess> => {
    app = await ControlPlaneProcess.start(env);
    return app;
  };
  const base = (): string => app!.baseUrl;
  const create = async (length: number): Promise<string> => {
    const created = await send(base(), 'POST', '/v1/uploads', { 'upload-length': String(length) });
    expect(created.status).toBe(201);
    return created.body.id as string;
  };
  const head = async (id: string): Promise<Answer> => send(base(), 'HEAD', `/v1/uploads/${id}`, {});
  const uploadsDir = (): string => path.join(workDir, 'data', 'uploads');

  beforeAll(async () => {
    workDir = await createTemporaryDirectory('uploads-e2e');
    nanodet = await readFile(path.join(REPOSITORY_ROOT, 'triton-models/nanodet/1/model.onnx'));
    env = {
      CONTROL_PLANE_DATA_DIR: path.join(workDir, 'data'),
      MODEL_REPOSITORY: path.join(REPOSITORY_ROOT, 'triton-models'),
      CONTROL_PLANE_MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES),
      CONTROL_PLANE_HEADERS_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      CONTROL_PLANE_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      CONTROL_PLANE_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS),
    };
    await start();
  }, 120_000);

  afterAll(async () => {
    await app?.stop();
    await removeDirectory(workDir);
  });

  it('takes the NanoDet model in three PATCHes with a HEAD between, byte for byte', async () => {
    const created = await send(base(), 'POST', '/v1/uploads', {
      'upload-length': String(nanodet.length),
      'upload-metadata': `filename ${Buffer.from('model.onnx').toString('base64')}`,
    });
    expect(created).toMatchObject({
      status: 201,
      headers: { 'upload-offset': '0', 'upload-length': String(nanodet.length) },
      body: { offset: 0, length: nanodet.length, filename: 'model.onnx', complete: false },
    });
    const id = created.body.id as string;
    expect(created.headers.location).toBe(`/v1/uploads/${id}`);
    expect(Date.parse(created.body.expiresAt as string)).toBeGreaterThan(Date.now());

    const cuts = [0, 1_000_000, 2_500_000, nanodet.length];
    for (let i = 0; i < 3; i += 1) {
      const before = await head(id);
      expect(before.status).toBe(200);
      expect(before.headers['upload-offset']).toBe(String(cuts[i]));
      const chunk = nanodet.subarray(cuts[i], cuts[i + 1]);
      const patched = await send(base(), 'PATCH', `/v1/uploads/${id}`, octets(cuts[i]), [chunk]);
      expect(patched.status).toBe(200);
      expect(patched.headers['upload-offset']).toBe(String(cuts[i + 1]));
    }
    const done = await send(base(), 'GET', `/v1/uploads/${id}`, {});
    expect(done.body).toMatchObject({
      complete: true,
      offset: nanodet.length,
      sizeBytes: nanodet.length,
      sha256: sha256(nanodet),
    });
    // Buffer.equals: Jest's toEqual walks a 4 MB buffer byte by byte, for minutes.
    expect((await readFile(path.join(uploadsDir(), `${id}.part`))).equals(nanodet)).toBe(true);
  });

  it('refuses a wrong offset with 409 naming the right one', async () => {
    const id = await create(100);
    await send(base(), 'PATCH', `/v1/uploads/${id}`, octets(0), [Buffer.alloc(40, 1)]);
    const answer = await send(base(), 'PATCH', `/v1/uploads/${id}`, octets(10), [
      Buffer.alloc(10, 1),
    ]);
    expect(answer.status).toBe(409);
    expect(codeOf(answer)).toBe('CONFLICT');
    expect(answer.headers['upload-offset']).toBe('40');
    expect(answer.body.errors).toEqual([
      expect.objectContaining({ extensions: expect.objectContaining({ offset: 40 }) as unknown }),
    ]);
    expect(JSON.stringify(answer.body)).toContain('send from byte 40');
  });

  it('refuses an Upload-Length over the maximum (413) before reading any of the body', async () => {
    const before = memory(app!.pid).rssMiB;
    const connection = await RawConnection.open('127.0.0.1', Number(new URL(base()).port));
    const declared = 1024 * MIB;
    connection.write(
      `POST /v1/uploads HTTP/1.1\r\nHost: x\r\n${AUTHORIZATION}Content-Type: ${OCTETS}\r\n` +
        `Upload-Length: ${declared}\r\nContent-Length: ${declared}\r\n\r\n`,
    );
    // What a hostile client pushes before it reads the answer (more than the kernel buffers).
    for (let i = 0; i < 16; i += 1) connection.write(Buffer.alloc(MIB, 7));
    const answer = await connection.answer(5000);
    connection.destroy();
    const grewMiB = memory(app!.pid).rssMiB - before;
    console.log(
      `over-the-max POST: answered in ${answer?.elapsedMs.toFixed(0)} ms, RSS +${grewMiB.toFixed(1)} MiB`,
    );
    // The connection closes after the answer (the caller, still pushing, closes it, or the linger
    // timer of libs/http-edge does): the body is never read.
    expect(answer).toMatchObject({ status: 413, headers: { connection: 'close' } });
    expect(answer!.body).toContain('CONTROL_PLANE_MAX_UPLOAD_BYTES');
    expect(answer!.elapsedMs).toBeLessThan(1000);
    expect(grewMiB).toBeLessThan(16);
    // Nothing was created for it.
    expect((await readdir(uploadsDir())).some((name) => name.endsWith('.tmp'))).toBe(false);
  });

  it('refuses a body longer than declared (413) and keeps exactly the declared bytes', async () => {
    const id = await create(1000);
    // Content-Length over what is left: refused before a byte is read, the part unchanged.
    const announced = await send(
      base(),
      'PATCH',
      `/v1/uploads/${id}`,
      octets(0, { 'content-length': '1001' }),
      [Buffer.alloc(1001, 2)],
    );
    expect(announced.status).toBe(413);
    expect(announced.headers['upload-offset']).toBe('0');
    // Chunked (no Content-Length): written up to the declared length, then refused.
    const body = Buffer.alloc(3000, 3);
    const chunked = await send(
      base(),
      'PATCH',
      `/v1/uploads/${id}`,
      octets(0, { 'transfer-encoding': 'chunked' }),
      [body.subarray(0, 600), body.subarray(600)],
    );
    expect(chunked.status).toBe(413);
    expect(codeOf(chunked)).toBe('PAYLOAD_TOO_LARGE');
    expect(chunked.headers['upload-offset']).toBe('1000');
    expect((await readFile(path.join(uploadsDir(), `${id}.part`))).length).toBe(1000);
    const status = await send(base(), 'GET', `/v1/uploads/${id}`, {});
    expect(status.body).toMatchObject({ complete: true, sha256: sha256(body.subarray(0, 1000)) });
  });

  it('streams 200 MB in one PATCH with RSS growth far below the body size', async () => {
    const chunkCount = 200;
    const length = chunkCount * MIB;
    const id = await create(length);
    const pid = app!.pid;
    const before = memory(pid).rssMiB;
    const peakReset = resetPeakRss(pid);
    let sampledPeak = before;
    const sampler = setInterval(() => {
      sampledPeak = Math.max(sampledPeak, memory(pid).rssMiB);
    }, 20);
    const hash = createHash('sha256');
    const started = performance.now();
    const answer = await send(
      base(),
      'PATCH',
      `/v1/uploads/${id}`,
      octets(0, { 'content-length': String(length) }),
      (function* () {
        for (const chunk of pattern(chunkCount, MIB)) {
          hash.update(chunk);
          yield chunk;
        }
      })(),
    );
    clearInterval(sampler);
    const seconds = (performance.now() - started) / 1000;
    const peak = Math.max(sampledPeak, peakReset ? memory(pid).peakRssMiB : 0);
    console.log(
      `200 MB PATCH: ${seconds.toFixed(1)} s; server RSS ${before.toFixed(0)} MiB before, ` +
        `peak ${peak.toFixed(0)} MiB (+${(peak - before).toFixed(1)} MiB)`,
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      complete: true,
      sizeBytes: length,
      sha256: hash.digest('hex'),
    });
    expect(peak - before).toBeLessThan(64);
  }, 120_000);

  it('gives a PATCH longer than CONTROL_PLANE_REQUEST_TIMEOUT_MS its own deadline', async () => {
    const id = await create(30 * 1024);
    const slow = async function* (): AsyncGenerator<Buffer> {
      for (let i = 0; i < 30; i += 1) {
        yield Buffer.alloc(1024, 5);
        await sleep(80); // 2.4 s in all, bytes moving all along
      }
    };
    const answer = await send(
      base(),
      'PATCH',
      `/v1/uploads/${id}`,
      octets(0, { 'content-length': String(30 * 1024) }),
      slow(),
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ complete: true });
  }, 30_000);

  it('cuts a stalled PATCH at the idle timeout and keeps what arrived', async () => {
    const id = await create(4096);
    const connection = await RawConnection.open('127.0.0.1', Number(new URL(base()).port));
    connection.write(
      `PATCH /v1/uploads/${id} HTTP/1.1\r\nHost: x\r\n${AUTHORIZATION}Content-Type: ${OCTETS}\r\n` +
        `Upload-Offset: 0\r\nContent-Length: 4096\r\n\r\n`,
    );
    connection.write(Buffer.alloc(1500, 9));
    const stalledAt = performance.now();
    while (!connection.isClosed && performance.now() - stalledAt < IDLE_TIMEOUT_MS + 5000) {
      await sleep(50);
    }
    connection.destroy();
    expect(performance.now() - stalledAt).toBeLessThan(IDLE_TIMEOUT_MS + 3000);
    const after = await head(id);
    expect(after.headers['upload-offset']).toBe('1500');
  }, 30_000);

  it('refuses a second writer on the same upload (409) while the first is streaming', async () => {
    const id = await create(8192);
    const first = await RawConnection.open('127.0.0.1', Number(new URL(base()).port));
    first.write(
      `PATCH /v1/uploads/${id} HTTP/1.1\r\nHost: x\r\n${AUTHORIZATION}Content-Type: ${OCTETS}\r\n` +
        `Upload-Offset: 0\r\nContent-Length: 8192\r\n\r\n`,
    );
    first.write(Buffer.alloc(100, 1));
    await sleep(200);
    const second = await send(base(), 'PATCH', `/v1/uploads/${id}`, octets(100), [
      Buffer.alloc(100, 1),
    ]);
    expect(second.status).toBe(409);
    expect(JSON.stringify(second.body)).toContain('another request is writing');
    first.write(Buffer.alloc(8092, 1));
    expect((await first.answer(5000))?.status).toBe(200);
    first.destroy();
  });

  it('refuses a PATCH without a credential (401) without reading its body', async () => {
    const id = await create(100 * MIB);
    const before = memory(app!.pid).rssMiB;
    const started = performance.now();
    const answer = await send(
      base(),
      'PATCH',
      `/v1/uploads/${id}`,
      octets(0, { 'content-length': String(100 * MIB) }),
      pattern(100, MIB),
      null,
    );
    expect(answer.status).toBe(401);
    expect(codeOf(answer)).toBe('UNAUTHENTICATED');
    expect(answer.headers.connection).toBe('close');
    expect(performance.now() - started).toBeLessThan(3000);
    expect(memory(app!.pid).rssMiB - before).toBeLessThan(16);
    expect((await head(id)).headers['upload-offset']).toBe('0');
  });

  it('answers 404 for unknown ids and 400 naming a missing Upload-Length', async () => {
    for (const id of ['0123456789abcdef0123456789abcdef', '..%2F..%2Fetc%2Fpasswd', 'x']) {
      const answer = await send(base(), 'GET', `/v1/uploads/${id}`, {});
      expect(answer.status).toBe(404);
      expect(codeOf(answer)).toBe('NOT_FOUND');
      const patched = await send(base(), 'PATCH', `/v1/uploads/${id}`, octets(0), [
        Buffer.alloc(10),
      ]);
      expect(patched.status).toBe(404);
    }
    const missing = await send(base(), 'POST', '/v1/uploads', {});
    expect(missing.status).toBe(400);
    expect(JSON.stringify(missing.body)).toContain('Upload-Length');
    const noOffset = await send(base(), 'PATCH', `/v1/uploads/${await create(10)}`, {
      'content-type': OCTETS,
    });
    expect(noOffset.status).toBe(400);
    expect(JSON.stringify(noOffset.body)).toContain('Upload-Offset');
  });

  it('keeps an upload across a crash mid-PATCH: HEAD gives the offset and it completes', async () => {
    const length = 8 * MIB;
    const body = Buffer.concat([...pattern(8, MIB)]);
    const id = await create(length);
    await send(base(), 'PATCH', `/v1/uploads/${id}`, octets(0), [body.subarray(0, 2 * MIB)]);
    const cut = await RawConnection.open('127.0.0.1', Number(new URL(base()).port));
    cut.write(
      `PATCH /v1/uploads/${id} HTTP/1.1\r\nHost: x\r\n${AUTHORIZATION}Content-Type: ${OCTETS}\r\n` +
        `Upload-Offset: ${2 * MIB}\r\nContent-Length: ${6 * MIB}\r\n\r\n`,
    );
    cut.write(body.subarray(2 * MIB, 3 * MIB));
    await sleep(300);
    await app!.kill();
    cut.destroy();
    await start();
    const resumed = await head(id);
    expect(resumed.status).toBe(200);
    const offset = Number(resumed.headers['upload-offset']);
    expect(offset).toBeGreaterThanOrEqual(2 * MIB);
    expect(offset).toBeLessThanOrEqual(3 * MIB);
    const rest = await send(base(), 'PATCH', `/v1/uploads/${id}`, octets(offset), [
      body.subarray(offset),
    ]);
    expect(rest.status).toBe(200);
    expect(rest.body).toMatchObject({ complete: true, sha256: sha256(body) });
  }, 120_000);
});

describe('artifact uploads: deadline and expiry (real process, tiny TTL)', () => {
  const TTL_SECONDS = 3;
  const UPLOAD_TIMEOUT_MS = 1500;
  let workDir: string;
  let app: ControlPlaneProcess | undefined;

  beforeAll(async () => {
    workDir = await createTemporaryDirectory('uploads-expiry-e2e');
    app = await ControlPlaneProcess.start({
      CONTROL_PLANE_DATA_DIR: path.join(workDir, 'data'),
      MODEL_REPOSITORY: path.join(REPOSITORY_ROOT, 'triton-models'),
      CONTROL_PLANE_UPLOAD_TTL_SECONDS: String(TTL_SECONDS),
      CONTROL_PLANE_UPLOAD_REQUEST_TIMEOUT_MS: String(UPLOAD_TIMEOUT_MS),
    });
  }, 120_000);

  afterAll(async () => {
    await app?.stop();
    await removeDirectory(workDir);
  });

  it('answers 408 at CONTROL_PLANE_UPLOAD_REQUEST_TIMEOUT_MS, then the sweep removes the stale part', async () => {
    const created = await send(app!.baseUrl, 'POST', '/v1/uploads', { 'upload-length': '100000' });
    const id = created.body.id as string;
    const trickle = async function* (): AsyncGenerator<Buffer> {
      for (let i = 0; i < 100; i += 1) {
        yield Buffer.alloc(100, 4);
        await sleep(50);
      }
    };
    const started = performance.now();
    const answer = await send(
      app!.baseUrl,
      'PATCH',
      `/v1/uploads/${id}`,
      octets(0, { 'content-length': '100000' }),
      trickle(),
    );
    expect(answer.status).toBe(408);
    expect(codeOf(answer)).toBe('REQUEST_TIMEOUT');
    expect(JSON.stringify(answer.body)).toContain('CONTROL_PLANE_UPLOAD_REQUEST_TIMEOUT_MS');
    expect(Number(answer.headers['upload-offset'])).toBeGreaterThan(0);
    expect(performance.now() - started).toBeLessThan(UPLOAD_TIMEOUT_MS + 1500);

    const uploads = path.join(workDir, 'data', 'uploads');
    expect(await readdir(uploads)).toContain(`${id}.part`);
    const deadline = performance.now() + TTL_SECONDS * 1000 + 4000;
    while ((await readdir(uploads)).length > 0 && performance.now() < deadline) await sleep(200);
    expect(await readdir(uploads)).toEqual([]);
    const gone = await send(app!.baseUrl, 'GET', `/v1/uploads/${id}`, {});
    expect(gone.status).toBe(404);
  }, 30_000);
});
