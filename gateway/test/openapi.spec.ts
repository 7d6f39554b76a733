/**
 * The OpenAPI document against the server it describes: every route Fastify serves is in the
 * document with its method, and nothing else is; the document validates as OpenAPI 3
 * (@apidevtools/swagger-parser); who may call each operation matches the route's policy; the docs
 * page and its assets are served by the gateway itself (no CDN).
 */
import { spawnSync } from 'node:child_process';
import type { OpenAPIObject } from '@nestjs/swagger';
import { registeredRoutes } from '../src/auth/http/http-routes';
import { startTestGateway, type TestGateway } from './test-gateway';

/**
 * @apidevtools/swagger-parser's verdict on `document`: it loads an ES module Jest's CommonJS
 * runtime cannot, so it runs in a plain Node child (Node >= 20.19 requires ES modules itself).
 */
function validateOpenApi(document: OpenAPIObject): string {
  const script = `
    const SwaggerParser = require('@apidevtools/swagger-parser');
    let text = '';
    process.stdin.on('data', (chunk) => (text += chunk)).on('end', () =>
      SwaggerParser.validate(JSON.parse(text)).then(
        () => console.log('valid'),
        (error) => console.log('invalid: ' + error.message),
      ),
    );`;
  const child = spawnSync(process.execPath, ['-e', script], {
    input: JSON.stringify(document),
    encoding: 'utf8',
  });
  return `${child.stdout}${child.stderr}`.trim();
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

describe('OpenAPI document', () => {
  let gateway: TestGateway;
  let document: OpenAPIObject;

  beforeAll(async () => {
    gateway = await startTestGateway();
    const response = await fetch(`${gateway.httpUrl}/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    document = (await response.json()) as OpenAPIObject;
  });
  afterAll(async () => {
    await gateway?.close();
  });

  /** `METHOD /path/:param` for every operation of the document. */
  const documented = (): string[] =>
    Object.entries(document.paths).flatMap(([path, item]) =>
      METHODS.filter((method) => item[method] !== undefined).map(
        (method) => `${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`,
      ),
    );

  it('lists every route the server serves, with its method, and nothing else', () => {
    const routes = registeredRoutes(gateway.app.getHttpAdapter().getInstance());
    const served = new Set(routes.map((route) => `${route.method} ${route.url}`));
    // Fastify answers HEAD for every GET by itself; the document lists the GET.
    const heads = [...served].filter((route) => route.startsWith('HEAD '));
    for (const head of heads) expect(served.has(head.replace(/^HEAD /, 'GET '))).toBe(true);
    const expected = [...served].filter((route) => !route.startsWith('HEAD ')).sort();
    expect(expected.length).toBeGreaterThan(20);
    expect([...documented()].sort()).toEqual(expected);
  });

  it('validates as OpenAPI 3', () => {
    expect(document.openapi).toMatch(/^3\./);
    expect(validateOpenApi(document)).toBe('valid');
  });

  it("marks exactly the server's public routes as needing no credential", () => {
    const routes = registeredRoutes(gateway.app.getHttpAdapter().getInstance());
    for (const [path, item] of Object.entries(document.paths)) {
      for (const method of METHODS) {
        const operation = item[method];
        if (!operation) continue;
        const url = path.replace(/\{([^}]+)\}/g, ':$1');
        const route = routes.find((r) => r.method === method.toUpperCase() && r.url === url);
        const isPublic = route?.access?.kind === 'public';
        expect([`${method} ${path}`, operation.security]).toEqual([
          `${method} ${path}`,
          isPublic ? [] : [{ apiKey: [] }, { bearer: [] }],
        ]);
      }
    }
  });

  it('describes the detect bodies: raw image, multipart and base64 JSON, and their answers', () => {
    const detect = document.paths['/v1/models/{model}/detect'].post;
    expect(
      Object.keys(
        detect?.requestBody && 'content' in detect.requestBody ? detect.requestBody.content : {},
      ).sort(),
    ).toEqual(['application/json', 'image/jpeg', 'image/png', 'image/webp', 'multipart/form-data']);
    const ok = detect?.responses['200'];
    expect(ok && 'content' in ok ? Object.keys(ok.content ?? {}) : []).toEqual([
      'application/json',
    ]);
  });

  it('describes the admin key request with the schema that validates it', () => {
    const create = document.paths['/admin/api-keys'].post;
    const body =
      create?.requestBody && 'content' in create.requestBody ? create.requestBody : undefined;
    const schema = body?.content['application/json'].schema as {
      required?: string[];
      properties?: Record<string, unknown>;
      additionalProperties?: boolean;
    };
    expect(schema.required?.sort()).toEqual(['scopes', 'tenant']);
    expect(Object.keys(schema.properties ?? {}).sort()).toEqual(['name', 'scopes', 'tenant']);
    expect(schema.additionalProperties).toBe(false);
  });

  it('serves the docs page and its assets from the gateway, under a policy that lets them run', async () => {
    const page = await fetch(`${gateway.httpUrl}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
    expect(assets.every((asset) => asset.startsWith('/docs/'))).toBe(true);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/https?:/);
    for (const asset of assets) {
      const response = await fetch(`${gateway.httpUrl}${asset}`);
      expect([asset, response.status]).toEqual([asset, 200]);
      expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(0);
    }
    const init = await (await fetch(`${gateway.httpUrl}/docs/docs-init.js`)).text();
    expect(init).toContain("url: '/openapi.json'");
    // Every other answer keeps the data API's policy.
    const json = await fetch(`${gateway.httpUrl}/openapi.json`);
    expect(json.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect((await fetch(`${gateway.httpUrl}/docs/..%2Fpackage.json`)).status).toBe(404);
  });
});
