import { errorCodeOf, expectSecurityHeaders } from './answers';
import { measureCheap } from './cost-meter';
import { startMeteredControlPlane, type MeteredControlPlane } from './metered-control-plane';
import { RawConnection, type RawAnswer } from './raw-http';

/**
 * Requests a cross-site page or a broken client can send without credentials (issue 10, finding 9):
 * GraphQL only as POST with JSON (nothing executes otherwise), and what Node's parser refuses is
 * answered in the control plane's error shape with its security headers.
 */
const QUERY = '{ models { nodes { name } } }';

describe('control plane: cross-site and malformed requests (hostile)', () => {
  let controlPlane: MeteredControlPlane;

  beforeAll(async () => {
    controlPlane = await startMeteredControlPlane();
  }, 180_000);

  afterAll(() => controlPlane?.stop());

  const send = async (request: RequestInit & { path?: string }) => {
    const response = await fetch(`${controlPlane.baseUrl}${request.path ?? '/graphql'}`, {
      ...request,
      signal: AbortSignal.timeout(10_000),
    });
    return { status: response.status, headers: response.headers, body: await response.text() };
  };

  const crossSiteRequests: [string, RequestInit & { path?: string }, number, string][] = [
    [
      'a query over GET',
      { path: `/graphql?query=${encodeURIComponent(QUERY)}` },
      405,
      'METHOD_NOT_ALLOWED',
    ],
    [
      'a mutation over GET',
      { path: `/graphql?query=${encodeURIComponent('mutation { models { name } }')}` },
      405,
      'METHOD_NOT_ALLOWED',
    ],
    [
      'a form-encoded POST',
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ query: QUERY }).toString(),
      },
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'a text/plain POST',
      {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ query: QUERY }),
      },
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'a multipart POST',
      {
        method: 'POST',
        body: (() => {
          const form = new FormData();
          form.set('query', QUERY);
          return form;
        })(),
      },
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'an application/graphql POST',
      { method: 'POST', headers: { 'content-type': 'application/graphql' }, body: QUERY },
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
  ];

  it.each(crossSiteRequests)(
    'refuses %s before anything executes',
    async (_, request, status, code) => {
      const { cost, result } = await measureCheap(controlPlane, `50 x ${_}`, async () => {
        const answers = [];
        // A page can send these from every visitor's browser: a burst, not one.
        for (let i = 0; i < 50; i += 1) answers.push(await send(request));
        return answers;
      });
      for (const answer of result) {
        expect(answer.status).toBe(status);
        expect(errorCodeOf(answer.body)).toBe(code);
      }
      expectSecurityHeaders(result[0].headers);
      if (status === 405) expect(result[0].headers.get('allow')).toBe('POST');
      // The probes' queries only: none of the refused requests reached the database.
      expect(cost.databaseQueries).toBeLessThanOrEqual(cost.probeMs.length);
    },
    30_000,
  );

  it('refuses a chunked body (411): a body must say its size before it is read', async () => {
    const connection = await RawConnection.open(controlPlane.host, controlPlane.port);
    connection.write(
      'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        'Transfer-Encoding: chunked\r\n\r\n10\r\n{"query":"{ mod\r\n',
    );
    const answer = await connection.answer(5000);
    connection.destroy();
    expect(answer).toMatchObject({ status: 411, closedByServer: true });
    expect(errorCodeOf(answer!.body)).toBe('LENGTH_REQUIRED');
  });

  const malformed: [string, string, number, string][] = [
    ['a malformed request line', 'GARBAGE\r\n\r\n', 400, 'BAD_REQUEST'],
    [
      'an invalid Content-Length',
      'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n',
      400,
      'BAD_REQUEST',
    ],
    [
      'headers over 16 KiB',
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
      'REQUEST_HEADER_FIELDS_TOO_LARGE',
    ],
  ];

  it.each(malformed)(
    'answers %s as JSON with the security headers, and closes the connection',
    async (_, bytes, status, code) => {
      const { result } = await measureCheap(controlPlane, `20 x ${_}`, async () => {
        const answers: (RawAnswer | undefined)[] = [];
        for (let i = 0; i < 20; i += 1) {
          const connection = await RawConnection.open(controlPlane.host, controlPlane.port);
          connection.write(bytes);
          answers.push(await connection.answer(5000));
          connection.destroy();
        }
        return answers;
      });
      for (const answer of result) {
        expect(answer).toMatchObject({ status, closedByServer: true });
        expect(JSON.parse(answer!.body)).toEqual({
          errors: [{ message: expect.any(String) as string, extensions: { code } }],
        });
      }
      expectSecurityHeaders(result[0]!.headers);
    },
    30_000,
  );

  it('answers an unknown route in the same error shape, without echoing a long path', async () => {
    const path = `/${'x'.repeat(5000)}`;
    const answer = await send({ path });
    expect(answer.status).toBe(404);
    expect(errorCodeOf(answer.body)).toBe('NOT_FOUND');
    expect(answer.body.length).toBeLessThan(500);
    expectSecurityHeaders(answer.headers);
  });
});
