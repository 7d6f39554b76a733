import Fastify, { type FastifyInstance } from 'fastify';
import { apiSecurityHeaders } from '@http-edge';
import { registerSecurityHeaders } from './security-headers';

async function serverWith(hstsMaxAgeSeconds: number): Promise<FastifyInstance> {
  const fastify = Fastify({ logger: false });
  registerSecurityHeaders(fastify, apiSecurityHeaders(hstsMaxAgeSeconds));
  fastify.get('/ok', () => ({ ok: true }));
  fastify.get('/fails', () => {
    throw Object.assign(new Error('bad input'), { statusCode: 400 });
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    // A later hook that refuses (as authentication does): the headers must already be there.
    if (request.url === '/refused') void reply.code(401).send({ error: 'no credential' });
    else done();
  });
  await fastify.ready();
  return fastify;
}

describe('security headers', () => {
  let fastify: FastifyInstance;
  beforeAll(async () => {
    fastify = await serverWith(600);
  });
  afterAll(() => fastify.close());

  it.each(['/ok', '/fails', '/refused', '/no-such-route'])(
    'are on every answer: %s',
    async (url) => {
      const response = await fastify.inject({ method: 'GET', url });
      expect(response.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
        'content-security-policy': "default-src 'none';frame-ancestors 'none'",
        'strict-transport-security': 'max-age=600',
        'cross-origin-resource-policy': 'same-origin',
      });
      expect(response.headers['x-powered-by']).toBeUndefined();
    },
  );

  it('sends no HSTS header when its max-age is 0', async () => {
    const withoutHsts = await serverWith(0);
    try {
      const response = await withoutHsts.inject({ method: 'GET', url: '/ok' });
      expect(response.headers['strict-transport-security']).toBeUndefined();
      expect(response.headers['x-content-type-options']).toBe('nosniff');
    } finally {
      await withoutHsts.close();
    }
  });

  it('are every header helmet sets', async () => {
    const response = await fastify.inject({ method: 'GET', url: '/ok' });
    const fields = apiSecurityHeaders(600);
    expect(Object.keys(fields).length).toBeGreaterThan(8);
    for (const [name, value] of Object.entries(fields)) expect(response.headers[name]).toBe(value);
  });
});
