import { apiSecurityHeaders } from '@http-edge';
import Fastify, { type FastifyInstance } from 'fastify';
import { frameworkErrorHandler, MAX_PARAM_LENGTH } from './framework-errors';
import { registerSecurityHeaders } from './security-headers';

describe('errors Fastify raises before routing', () => {
  let fastify: FastifyInstance;
  beforeAll(async () => {
    const headers = apiSecurityHeaders(0);
    fastify = Fastify({
      logger: false,
      routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
      frameworkErrors: frameworkErrorHandler(headers),
    });
    registerSecurityHeaders(fastify, headers);
    fastify.get('/v1/models/:model/detect', () => ({ ok: true }));
    fastify.get('/v2/models/:model', () => ({ ok: true }));
    await fastify.ready();
  });
  afterAll(() => fastify.close());

  // Regression (fuzzing): these were answered in Fastify's own shape, without security headers.
  it('answers a path that is not valid percent-encoding with a typed 400 and the headers', async () => {
    const response = await fastify.inject({ method: 'GET', url: '/v1/models/%C0%AF/detect' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: {
        code: 'invalid_argument',
        message: "the path '/v1/models/%C0%AF/detect' is not valid percent-encoding",
      },
    });
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  it('answers an over-long model name in the KServe shape', async () => {
    const response = await fastify.inject({ method: 'GET', url: `/v2/models/${'x'.repeat(500)}` });
    expect(response.statusCode).toBe(400);
    expect(response.json<{ error: string }>().error).toMatch(
      /^a path segment of '\/v2\/models\/x+…' \(\d+ characters\) is too long \(model names and versions: at most 100 characters\)$/,
    );
    expect(response.headers['x-frame-options']).toBe('DENY');
  });
});
