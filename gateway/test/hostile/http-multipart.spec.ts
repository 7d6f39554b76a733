/**
 * What a hostile multipart detect body costs a real gateway (child process, metered): thousands of
 * parts, one part far over the limit, a body cut off mid-part, a body that stops arriving, and a
 * base64 JSON body at the size limit. Each is refused with a typed error as soon as the limit it
 * breaks is passed, holds the event loop under the 100 ms bound, grows memory by no more than the
 * limits allow, and normal detects sent meanwhile are served as usual.
 */
import type { HttpOutcome } from '../malformed-input/http-outcome';
import { authHeaders, sampleImage } from '../test-gateway';
import { expectCheap, measureCost, startMeteredGateway, type MeteredGateway } from './cost-meter';
import { openRaw, requestHead, within, writeBody } from './raw-http';

const MIB = 1024 * 1024;
const MAX_BODY = 16 * MIB;
const BOUNDARY = 'hostile-boundary';
const PATH = '/v1/models/nanodet/detect';

jest.setTimeout(180_000);

/** One image part's head (its bytes follow). */
const partHead = (index: number, type = 'image/jpeg'): string =>
  `--${BOUNDARY}\r\ncontent-disposition: form-data; name="image"; filename="p${index}.jpg"\r\ncontent-type: ${type}\r\n\r\n`;

const multipartHeaders = (extra: [string, string][] = []): [string, string][] => [
  ['x-api-key', authHeaders()['x-api-key']],
  ['content-type', `multipart/form-data; boundary=${BOUNDARY}`],
  ...extra,
];

const errorOf = (outcome: HttpOutcome | undefined): string =>
  outcome
    ? (JSON.parse(outcome.body.toString()) as { error: { message: string } }).error.message
    : '';

describe('hostile multipart and base64 detect bodies', () => {
  let gateway: MeteredGateway;

  beforeAll(async () => {
    gateway = await startMeteredGateway({
      GATEWAY_MAX_BODY_BYTES: String(MAX_BODY),
      GATEWAY_DETECT_MAX_IMAGES: '8',
      GATEWAY_HTTP_REQUEST_TIMEOUT_MS: '3000',
    });
  });
  afterAll(async () => {
    await gateway?.kill();
  });

  it('100,000 tiny parts: refused at part 9, before the rest is read', async () => {
    const parts = Array.from({ length: 100_000 }, (_, index) => `${partHead(index)}x\r\n`).join('');
    const body = Buffer.from(`${parts}--${BOUNDARY}--\r\n`);
    const { cost, result } = await measureCost(gateway, async () => {
      const connection = await openRaw(
        gateway.httpUrl,
        requestHead('POST', PATH, multipartHeaders([['content-length', String(body.length)]])),
      );
      connection.socket.write(body);
      return within(connection.answer, 30_000, undefined);
    });
    expect(result?.status).toBe(413);
    expect(errorOf(result)).toMatch(/at most 8 images \(GATEWAY_DETECT_MAX_IMAGES\)/);
    expectCheap(cost, { rssPeakGrowthBytes: 64 * MIB }, '100,000 parts');
  });

  it('one part past the body limit, sent chunked: refused at the limit, never held whole', async () => {
    let sentMiB = 0;
    const { cost, result } = await measureCost(gateway, async () => {
      const connection = await openRaw(
        gateway.httpUrl,
        requestHead('POST', PATH, multipartHeaders([['transfer-encoding', 'chunked']])),
      );
      let answered = false;
      void connection.answer.then(() => (answered = true));
      // Up to 64 MiB of one part in 1 MiB chunks (4× the limit), until the server answers.
      connection.socket.write(chunk(Buffer.from(partHead(1))));
      const piece = chunk(Buffer.alloc(MIB, 0xff));
      while (sentMiB < 64 && !answered && !connection.socket.destroyed) {
        sentMiB += 1;
        if (!connection.socket.write(piece)) {
          await within(new Promise((resolve) => connection.socket.once('drain', resolve)), 1000, 0);
        }
      }
      return within(connection.answer, 30_000, undefined);
    });
    expect(result?.status).toBe(413);
    expect(errorOf(result)).toMatch(/too large/);
    // Answered once the limit was passed (what socket buffers hold aside), not after all 64 MiB.
    expect(sentMiB).toBeLessThan(48);
    expectCheap(cost, { rssPeakGrowthBytes: 128 * MIB }, 'a 64 MiB part');
  });

  it('a part declared larger than the limit: refused from its Content-Length, no byte read', async () => {
    const connection = await openRaw(
      gateway.httpUrl,
      requestHead('POST', PATH, multipartHeaders([['content-length', String(MAX_BODY + 1)]])),
    );
    const result = await within(connection.answer, 10_000, undefined);
    connection.socket.destroy();
    expect(result?.status).toBe(413);
  });

  it('a body cut off mid-part by the caller: the gateway lets go and keeps serving', async () => {
    const { cost } = await measureCost(gateway, async () => {
      for (let round = 0; round < 20; round += 1) {
        const head = Buffer.from(partHead(1));
        const connection = await openRaw(
          gateway.httpUrl,
          requestHead('POST', PATH, multipartHeaders([['content-length', String(8 * MIB)]])),
        );
        connection.socket.write(head);
        await writeBody(connection.socket, 2 * MIB);
        connection.socket.destroy();
        await connection.closed;
      }
    });
    expectCheap(cost, { rssPeakGrowthBytes: 128 * MIB }, '20 bodies cut off mid-part');
    const normal = await fetch(`${gateway.httpUrl}${PATH}`, {
      method: 'POST',
      headers: { ...authHeaders(), 'content-type': 'image/jpeg' },
      body: sampleImage('messi5.jpg'),
    });
    expect(normal.status).toBe(200);
  });

  it('a body that stops arriving mid-part: refused at the request deadline (408)', async () => {
    const connection = await openRaw(
      gateway.httpUrl,
      requestHead('POST', PATH, multipartHeaders([['content-length', String(4 * MIB)]])),
    );
    connection.socket.write(partHead(1));
    await writeBody(connection.socket, MIB);
    const result = await within(connection.answer, 20_000, undefined);
    connection.socket.destroy();
    expect(result?.status).toBe(408);
  });

  it('a base64 JSON body at the size limit: decoded in slices, within the bounds', async () => {
    // ~12 MiB of base64 that decodes to bytes no image decoder takes: all the JSON work, then a 415.
    const junk = Buffer.alloc(Math.floor(((MAX_BODY - 1024) * 3) / 4), 0x41).toString('base64');
    const body = JSON.stringify({ images: [{ b64: junk }] });
    expect(body.length).toBeLessThanOrEqual(MAX_BODY);
    const { cost, result } = await measureCost(gateway, async () => {
      const response = await fetch(`${gateway.httpUrl}${PATH}`, {
        method: 'POST',
        headers: { ...authHeaders(), 'content-type': 'application/json' },
        body,
      });
      return {
        status: response.status,
        error: ((await response.json()) as { error: { message: string } }).error.message,
      };
    });
    expect(result.status).toBe(415);
    expect(result.error).toMatch(/^images\[0\]: /);
    expectCheap(cost, { rssPeakGrowthBytes: 6 * MAX_BODY }, 'a 16 MiB base64 body');
  });
});

/** `data` as one chunk of chunked transfer encoding. */
function chunk(data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')]);
}
