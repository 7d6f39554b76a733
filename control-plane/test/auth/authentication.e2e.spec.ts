import * as path from 'node:path';
import { startChildService, type ChildService } from '@test-support';
import { AUDIENCE, ISSUER, JwksServer, signToken } from '../../../libs/auth/test/jwks-server';
import { createFixtureModelRepository } from '../support/fixture-model-repository';
import { postGraphql } from '../support/graphql-client';
import { TEST_ADMIN_KEY } from '../support/test-credentials';
import { createTemporaryDirectory, removeDirectory } from '../support/temporary-directory';
import { REPOSITORY_ROOT, typeScriptChildEnv } from '../support/typescript-process';
import type { ProbeReady } from './probe-control-plane.child';

const CHILD = path.join(__dirname, 'probe-control-plane.child.ts');

// A connection since the registry rewrite; only the names matter here.
const MODELS = '{ models { nodes { name } } }';

describe('control plane authentication and roles (real app, PGlite)', () => {
  let workDir: string | undefined;
  let jwks: JwksServer;
  let child: ChildService<ProbeReady> | undefined;
  let baseUrl: string;
  let keys: ProbeReady['keys'];

  beforeAll(async () => {
    workDir = await createTemporaryDirectory('control-plane-auth');
    const fixture = await createFixtureModelRepository(path.join(workDir, 'models'));
    jwks = await JwksServer.start();
    child = await startChildService({
      name: 'control plane with probes',
      entry: CHILD,
      cwd: REPOSITORY_ROOT,
      env: typeScriptChildEnv({
        NODE_ENV: 'test',
        CONTROL_PLANE_HOST: '127.0.0.1',
        MODEL_REPOSITORY: fixture.root,
        CONTROL_PLANE_DATA_DIR: path.join(workDir, 'data'),
        CONTROL_PLANE_BOOTSTRAP_ADMIN_KEY: TEST_ADMIN_KEY,
        CONTROL_PLANE_JWT_JWKS_URL: jwks.url,
        CONTROL_PLANE_JWT_ISSUER: ISSUER,
        CONTROL_PLANE_JWT_AUDIENCE: AUDIENCE,
      }),
      stdout: 'collect',
      stderr: 'collect',
      ready: { message: (message) => message as ProbeReady },
      startTimeoutMs: 90_000,
    });
    baseUrl = `http://${child.ready.host}:${child.ready.port}`;
    keys = child.ready.keys;
  }, 120_000);

  afterAll(async () => {
    await child?.kill();
    await jwks?.close();
    await removeDirectory(workDir);
  });

  const codeOf = (body: { errors?: { extensions?: { code?: string } }[] }) =>
    body.errors?.[0]?.extensions?.code;

  it('refuses a request without a credential with 401 UNAUTHENTICATED, whatever the query', async () => {
    const valid = await postGraphql(baseUrl, MODELS, undefined, { credential: null });
    const invalid = await postGraphql(baseUrl, '{ nope ', undefined, { credential: null });
    expect(valid.status).toBe(401);
    expect(codeOf(valid.body)).toBe('UNAUTHENTICATED');
    expect(valid.body.errors?.[0]?.message).toMatch(/authentication required/);
    // The same answer: an anonymous caller learns nothing of the schema from validation.
    expect(invalid).toEqual(valid);
  });

  it('refuses a wrong or malformed key with 401 UNAUTHENTICATED', async () => {
    const wrongSecret = `${keys.viewer.slice(0, -4)}AAAA`;
    for (const credential of [wrongSecret, 'tcg_nonsense']) {
      const answer = await postGraphql(baseUrl, MODELS, undefined, { credential });
      expect(answer.status).toBe(401);
      expect(codeOf(answer.body)).toBe('UNAUTHENTICATED');
      expect(JSON.stringify(answer.body)).not.toContain(credential);
    }
  });

  it('lets a viewer key read the registry', async () => {
    const answer = await postGraphql<{ models: { nodes: { name: string }[] } }>(
      baseUrl,
      MODELS,
      undefined,
      {
        credential: keys.viewer,
      },
    );
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data?.models.nodes.map((model) => model.name)).toEqual(['nanodet']);
  });

  it('refuses a viewer on an operator resolver with FORBIDDEN naming the role; operator and admin pass', async () => {
    const query = '{ operatorProbe { subject requestId } }';
    const viewer = await postGraphql(baseUrl, query, undefined, { credential: keys.viewer });
    expect(codeOf(viewer.body)).toBe('FORBIDDEN');
    expect(viewer.body.errors?.[0]?.message).toMatch(/needs role 'operator'/);
    expect(viewer.body.data).toBeNull();
    for (const credential of [keys.operator, TEST_ADMIN_KEY]) {
      const answer = await postGraphql<{ operatorProbe: { subject: string } }>(
        baseUrl,
        query,
        undefined,
        { credential },
      );
      expect(answer.body.errors).toBeUndefined();
      expect(answer.body.data?.operatorProbe.subject).toMatch(/^key:/);
    }
  });

  it('hands resolvers the caller and the request id (x-request-id, or one made up)', async () => {
    const ask = (headers: Record<string, string>) =>
      fetch(`${baseUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': keys.operator, ...headers },
        body: JSON.stringify({ query: '{ operatorProbe { subject requestId } }' }),
      }).then(
        async (response) =>
          ((await response.json()) as { data: { operatorProbe: { requestId: string } } }).data
            .operatorProbe,
      );
    expect(await ask({ 'x-request-id': 'req-42' })).toMatchObject({ requestId: 'req-42' });
    const made = await ask({});
    expect(made.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('accepts a JWT whose scope claim carries a role, and checks that role', async () => {
    const viewerToken = await signToken(jwks.key, {
      sub: 'alice',
      tenant: 'team-b',
      scope: 'viewer',
    });
    const models = await postGraphql(baseUrl, MODELS, undefined, { credential: viewerToken });
    expect(models.body.errors).toBeUndefined();
    const probe = await postGraphql(baseUrl, '{ operatorProbe { subject } }', undefined, {
      credential: viewerToken,
    });
    expect(codeOf(probe.body)).toBe('FORBIDDEN');
    const operatorToken = await signToken(jwks.key, {
      sub: 'bob',
      tenant: 'team-b',
      scope: 'operator',
    });
    const allowed = await postGraphql<{ operatorProbe: { subject: string } }>(
      baseUrl,
      '{ operatorProbe { subject } }',
      undefined,
      { credential: operatorToken },
    );
    expect(allowed.body.data?.operatorProbe.subject).toBe('jwt:bob');
    const expired = await signToken(
      jwks.key,
      { sub: 'carol', tenant: 'team-b', scope: 'admin' },
      { expiresAt: Math.floor(Date.now() / 1000) - 600 },
    );
    const refused = await postGraphql(baseUrl, MODELS, undefined, { credential: expired });
    expect(refused.status).toBe(401);
    expect(refused.body.errors?.[0]?.message).toMatch(/expired/);
  });

  it('guards REST routes with the same roles: 401 without a key, 403 for a viewer, 200 for an operator', async () => {
    const get = (headers: Record<string, string>) => fetch(`${baseUrl}/probe`, { headers });
    const anonymous = await get({});
    expect(anonymous.status).toBe(401);
    expect(codeOf((await anonymous.json()) as object)).toBe('UNAUTHENTICATED');
    const viewer = await get({ 'x-api-key': keys.viewer });
    expect(viewer.status).toBe(403);
    expect(JSON.stringify(await viewer.json())).toMatch(/needs role 'operator'/);
    const operator = await get({ 'x-api-key': keys.operator });
    expect(operator.status).toBe(200);
    expect(await operator.json()).toEqual({ subject: expect.stringMatching(/^key:/) });
  });

  it('keeps its keys in the embedded database, in the table the migrations made', () => {
    expect(child?.ready.apiKeyColumns).toEqual([
      'created_at',
      'hash',
      'id',
      'kdf',
      'name',
      'revoked_at',
      'rotated_from',
      'salt',
      'scopes',
      'tenant',
    ]);
  });

  it('keeps /healthz and /metrics open as documented', async () => {
    expect((await fetch(`${baseUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${baseUrl}/metrics`)).status).toBe(200);
  });
});
