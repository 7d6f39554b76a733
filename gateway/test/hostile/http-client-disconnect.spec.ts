/**
 * A caller that goes away mid-upload is not a server error (issue 10, finding 9): it is logged at
 * debug level with the request id, never at error level with a stack.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestGateway, TEST_API_KEY, type TestGateway } from '../test-gateway';
import { openRaw, requestHead, writeBody } from './raw-http';

interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

describe('hostile HTTP: callers that go away', () => {
  let gateway: TestGateway;
  let output = '';
  let spy: jest.SpyInstance;

  beforeAll(async () => {
    spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      output += String(chunk);
      return true;
    });
    gateway = await startTestGateway({ LOG_FORMAT: 'json', LOG_LEVEL: 'debug' });
  });
  afterAll(async () => {
    await gateway.close();
    spy.mockRestore();
  });

  it('logs an upload aborted half-way at debug level with its request id, without a stack', async () => {
    output = '';
    const uploads = await Promise.all(
      Array.from({ length: 5 }, () =>
        openRaw(
          gateway.httpUrl,
          requestHead('POST', '/v1/models/nanodet/detect', [
            ['x-api-key', TEST_API_KEY],
            ['content-type', 'image/jpeg'],
            ['content-length', String(1024 * 1024)],
          ]),
        ),
      ),
    );
    await Promise.all(uploads.map((upload) => writeBody(upload.socket, 64 * 1024)));
    await sleep(1000);
    for (const upload of uploads) upload.socket.destroy();
    await Promise.all(uploads.map((upload) => upload.closed));
    await sleep(500);

    const lines = output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);
    const errors = lines.filter((line) => line.level === 'error' || line.level === 'fatal');
    expect(errors).toEqual([]);
    const goneAway = lines.filter((line) => /went away/.test(line.msg));
    // Each upload whose body was being read when its caller left (all five, unless one was still
    // being authenticated: then nothing of it was read, and nothing is logged).
    expect(goneAway.length).toBeGreaterThanOrEqual(1);
    for (const line of goneAway) {
      expect(line.level).toBe('debug');
      expect(line.msg).toMatch(/request req-\w+/);
      expect(JSON.stringify(line)).not.toMatch(/\n\s+at /);
    }
  });
});
