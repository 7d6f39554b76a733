import { setTimeout as sleep } from 'node:timers/promises';
import { measureCheap } from './cost-meter';
import { errorCodeOf, expectSecurityHeaders, postJson } from './answers';
import { startMeteredControlPlane, type MeteredControlPlane } from './metered-control-plane';
import { jsonPostHead, RawConnection } from './raw-http';

/**
 * Connections and request bodies an anonymous caller opens and never finishes (issue 10, finding 6):
 * each is answered within its deadline, and what all of them may hold at once is bounded.
 */
const REQUEST_TIMEOUT_MS = 1500;
const HEADERS_TIMEOUT_MS = 1000;
const MAX_BODY_BYTES = 64 * 1024;
const MAX_PENDING_BODY_BYTES = 256 * 1024;
const KEEP_ALIVE_TIMEOUT_MS = 2000;
const MAX_CONNECTIONS = 40;
/** Node checks deadlines once a second at most; the rest is room for a busy machine. */
const DEADLINE_SLACK_MS = 3000;

describe('control plane: unfinished requests and idle connections (hostile)', () => {
  let controlPlane: MeteredControlPlane;

  beforeAll(async () => {
    controlPlane = await startMeteredControlPlane({
      CONTROL_PLANE_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      CONTROL_PLANE_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      CONTROL_PLANE_MAX_BODY_BYTES: String(MAX_BODY_BYTES),
      CONTROL_PLANE_MAX_PENDING_BODY_BYTES: String(MAX_PENDING_BODY_BYTES),
      CONTROL_PLANE_KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_TIMEOUT_MS),
      CONTROL_PLANE_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
    });
  }, 180_000);

  afterAll(() => controlPlane?.stop());

  const open = (): Promise<RawConnection> =>
    RawConnection.open(controlPlane.host, controlPlane.port);

  it('answers a POST /graphql whose body never finishes with 408 within the deadline, and closes it', async () => {
    const { result } = await measureCheap(controlPlane, 'a never-finishing body', async () => {
      const connection = await open();
      connection.write(jsonPostHead('/graphql', 1000) + '{"query":');
      const answer = await connection.answer(REQUEST_TIMEOUT_MS + DEADLINE_SLACK_MS + 2000);
      connection.destroy();
      return answer;
    });
    expect(result).toMatchObject({ status: 408, closedByServer: true });
    expect(result!.elapsedMs).toBeLessThan(REQUEST_TIMEOUT_MS + DEADLINE_SLACK_MS);
    expect(JSON.parse(result!.body)).toEqual({
      errors: [
        {
          message: expect.stringContaining('CONTROL_PLANE_REQUEST_TIMEOUT_MS') as string,
          extensions: { code: 'REQUEST_TIMEOUT' },
        },
      ],
    });
    expectSecurityHeaders(result!.headers);
  }, 30_000);

  it('refuses ten uploads announcing more than the body limit before reading them (413)', async () => {
    const { result } = await measureCheap(
      controlPlane,
      'ten uploads announcing 1 MiB',
      async () => {
        const connections = await Promise.all(Array.from({ length: 10 }, open));
        // 1 MiB - 1: what Fastify's default limit let through. The body is never sent.
        for (const connection of connections)
          connection.write(jsonPostHead('/graphql', 1024 * 1024 - 1));
        const answers = await Promise.all(connections.map((connection) => connection.answer(5000)));
        for (const connection of connections) connection.destroy();
        return answers;
      },
    );
    for (const answer of result) {
      expect(answer).toMatchObject({ status: 413, closedByServer: true });
      expect(answer!.elapsedMs).toBeLessThan(2000);
      expect(errorCodeOf(answer!.body)).toBe('PAYLOAD_TOO_LARGE');
    }
  }, 30_000);

  it('holds parked bodies only up to the pending-body budget and the deadline, then takes new ones', async () => {
    const bodyBytes = 60 * 1024;
    const { result } = await measureCheap(controlPlane, 'ten parked bodies', async () => {
      const connections = await Promise.all(Array.from({ length: 10 }, open));
      for (const connection of connections) connection.write(jsonPostHead('/graphql', bodyBytes));
      // Those the budget refuses are answered at once; the others get all but the last byte.
      const early = await Promise.all(connections.map((connection) => connection.answer(300)));
      connections.forEach((connection, index) => {
        if (early[index] === undefined) connection.write(Buffer.alloc(bodyBytes - 1, 0x20));
      });
      const parked = await Promise.all(
        connections.map((connection, index) =>
          early[index] === undefined
            ? connection.answer(REQUEST_TIMEOUT_MS + DEADLINE_SLACK_MS + 2000)
            : Promise.resolve(early[index]),
        ),
      );
      for (const connection of connections) connection.destroy();
      // The parked bodies are gone: a new one fits again.
      const after = await postJson(controlPlane.baseUrl, {
        query: '{ models { nodes { name } } }',
      });
      return { early, parked, after };
    });
    const refused = result.early.filter((answer) => answer !== undefined);
    const admitted = Math.floor(MAX_PENDING_BODY_BYTES / bodyBytes);
    expect(refused).toHaveLength(10 - admitted);
    for (const answer of refused) {
      expect(answer).toMatchObject({ status: 503, headers: { 'retry-after': '1' } });
      expect(errorCodeOf(answer?.body)).toBe('SERVICE_UNAVAILABLE');
    }
    const timedOut = result.parked.filter((answer) => answer?.status === 408);
    expect(timedOut).toHaveLength(admitted);
    expect(result.after.status).toBe(200);
  }, 30_000);

  it('answers a connection that never sends a request with 408 at the headers deadline', async () => {
    const { result } = await measureCheap(controlPlane, 'a silent connection', async () => {
      const connection = await open();
      const answer = await connection.answer(HEADERS_TIMEOUT_MS + DEADLINE_SLACK_MS + 2000);
      connection.destroy();
      return answer;
    });
    expect(result).toMatchObject({ status: 408, closedByServer: true });
    expect(result!.elapsedMs).toBeLessThan(HEADERS_TIMEOUT_MS + DEADLINE_SLACK_MS);
    expect(errorCodeOf(result!.body)).toBe('REQUEST_TIMEOUT');
    expectSecurityHeaders(result!.headers);
  }, 30_000);

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const connection = await open();
    connection.write('GET /healthz HTTP/1.1\r\nHost: control-plane\r\n\r\n');
    const answer = await connection.answer(5000);
    expect(answer).toMatchObject({ status: 200, closedByServer: false });
    const idleSince = performance.now();
    while (!connection.isClosed && performance.now() - idleSince < KEEP_ALIVE_TIMEOUT_MS + 5000) {
      await sleep(50);
    }
    connection.destroy();
    expect(performance.now() - idleSince).toBeGreaterThanOrEqual(KEEP_ALIVE_TIMEOUT_MS - 100);
    expect(performance.now() - idleSince).toBeLessThan(KEEP_ALIVE_TIMEOUT_MS + DEADLINE_SLACK_MS);
  }, 30_000);

  it('closes connections over the connection cap at once, and frees the others at the headers deadline', async () => {
    const opened = performance.now();
    const connections: RawConnection[] = [];
    for (let i = 0; i < MAX_CONNECTIONS + 10; i += 1) connections.push(await open());
    await sleep(300);
    const dropped = connections.filter((connection) => connection.isClosed);
    // Some of the cap may be held by keep-alive connections of earlier tests.
    expect(dropped.length).toBeGreaterThanOrEqual(10);
    const held = connections.filter((connection) => !connection.isClosed);
    const answers = await Promise.all(
      held.map((connection) => connection.answer(HEADERS_TIMEOUT_MS + DEADLINE_SLACK_MS + 2000)),
    );
    for (const connection of connections) connection.destroy();
    for (const answer of answers) expect(answer?.status).toBe(408);
    expect(performance.now() - opened).toBeLessThan(HEADERS_TIMEOUT_MS + DEADLINE_SLACK_MS + 1000);
    // Every slot is free again.
    expect(
      (await postJson(controlPlane.baseUrl, { query: '{ models { nodes { name } } }' })).status,
    ).toBe(200);
  }, 30_000);
});
