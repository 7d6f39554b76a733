import { connect } from 'node:net';
import fc from 'fast-check';
import sharp from 'sharp';
import { authHeaders, sampleImage, TEST_API_KEY } from '../test-gateway';
import { startMeteredGateway, type MeteredGateway } from '../hostile/cost-meter';
import { assertCheaply } from './cheap-property';
import { FUZZ_TEST_TIMEOUT_MS, fuzzParameters, printable } from './fuzz-settings';
import { headerText, priority, requestTimeout } from './header-arbitraries';
import { detectJpeg, expectErrorBody, expectSuccessOrClientError, send } from './http-outcome';
import { contentEncoding } from './kserve-arbitraries';
import { imageContentType } from './image-arbitraries';

jest.setTimeout(FUZZ_TEST_TIMEOUT_MS);

describe('malformed input: HTTP headers and framing (property-based)', () => {
  let gateway: MeteredGateway;
  let image: Buffer;

  beforeAll(async () => {
    gateway = await startMeteredGateway();
    // A small real picture keeps every accepted request cheap.
    image = await sharp(sampleImage('messi5.jpg')).resize(64).jpeg().toBuffer();
  });
  afterAll(() => gateway.kill());

  afterEach(async () => {
    expect((await detectJpeg(gateway.httpUrl, image)).status).toBe(200);
  });

  it('answers arbitrary content-type, content-encoding, x-request-timeout and x-priority with 200 or a typed 4xx', async () => {
    const headers = fc.record(
      {
        'content-type': imageContentType,
        'content-encoding': contentEncoding,
        'x-request-timeout': requestTimeout,
        'x-priority': priority,
        accept: headerText(16),
        'x-anything': headerText(32),
      },
      { requiredKeys: [] },
    );
    await assertCheaply(
      gateway,
      fc.asyncProperty(
        headers,
        fc.constantFrom('/v1/models/nanodet/detect', '/v2/models/nanodet/infer'),
        async (given, path) => {
          const outcome = await send(gateway.httpUrl, path, {
            method: 'POST',
            headers: { ...given, ...authHeaders() },
            body: image,
          });
          // A timeout too short to meet is the caller's choice, answered 504 with a typed body.
          if (outcome.status === 504 && given['x-request-timeout'] !== undefined) {
            expectErrorBody(outcome);
            return;
          }
          expectSuccessOrClientError(outcome);
        },
      ),
      fuzzParameters(120),
    );
  });

  it('answers malformed HTTP/1.1 (request line, header lines, framing) with a 4xx or a closed connection', async () => {
    const line = fc.oneof(
      headerText(40),
      fc.string({ unit: 'binary-ascii', maxLength: 40 }),
      fc.constantFrom(
        'Content-Length: -1',
        'Content-Length: 5\r\nContent-Length: 6',
        'Transfer-Encoding: chunked',
        'Transfer-Encoding: gzip, chunked',
        'Content-Length: 99999999999999999999',
        `x-api-key: ${TEST_API_KEY}`,
        'Host:',
        ' folded: header',
      ),
    );
    const raw = fc
      .tuple(
        fc.constantFrom(
          'POST /v2/models/nanodet/infer',
          'GET /v2',
          'POST /v1/models/nanodet/detect',
          'GET',
          '',
        ),
        fc.constantFrom(' HTTP/1.1', ' HTTP/1.0', ' HTTP/2', ' HTTP/1.1 extra', ''),
        fc.array(line, { maxLength: 5 }),
        fc.string({ unit: 'binary-ascii', maxLength: 64 }),
      )
      .map(([start, version, lines, body]) => {
        const text = `${start}${version}\r\nHost: gateway\r\n${lines.join('\r\n')}\r\n\r\n${body}`;
        return printable({ text }, JSON.stringify(text));
      });
    const { hostname, port } = new URL(gateway.httpUrl);
    await assertCheaply(
      gateway,
      fc.asyncProperty(raw, async ({ text }) => {
        const answer = await new Promise<string>((resolve) => {
          const socket = connect(Number(port), hostname);
          let received = '';
          socket.setTimeout(2000, () => socket.destroy());
          socket.on('data', (chunk) => {
            received += chunk.toString('latin1');
          });
          socket.on('close', () => resolve(received));
          socket.on('error', () => undefined);
          socket.end(Buffer.from(text, 'latin1'));
        });
        const status = /^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1];
        if (status !== undefined && Number(status) >= 500) {
          throw new Error(`answered ${answer.slice(0, 300)}`);
        }
      }),
      fuzzParameters(60),
    );
  });
});
