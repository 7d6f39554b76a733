import { errorCodeOf, postJson } from './answers';
import { measureCheap } from './cost-meter';
import { startMeteredControlPlane, type MeteredControlPlane } from './metered-control-plane';

/**
 * What an anonymous caller learns from the control plane in production (issue 10, finding 9): no
 * schema by introspection, and errors in one typed shape that never carry the database driver's
 * text, a stack, or the caller's input at full length.
 */
describe('control plane in production: errors and introspection (hostile)', () => {
  let controlPlane: MeteredControlPlane;

  beforeAll(async () => {
    controlPlane = await startMeteredControlPlane({ NODE_ENV: 'production' });
  }, 180_000);

  afterAll(() => controlPlane?.stop());

  const post = (body: unknown) => postJson(controlPlane.baseUrl, body);

  it.each([
    ['__schema', '{ __schema { types { name fields { name } } } }'],
    ['__type', '{ __type(name: "Model") { fields { name } } }'],
  ])('refuses introspection (%s)', async (_, query) => {
    const answer = await post({ query });
    expect(answer.status).toBe(400);
    expect(answer.body.data).toBeUndefined();
    expect(errorCodeOf(answer.body)).toBe('INTROSPECTION_DISABLED');
    expect(JSON.stringify(answer.body)).not.toContain('ModelVersion');
  });

  it('still answers __typename, and serves no GraphiQL', async () => {
    expect((await post({ query: '{ __typename }' })).body).toEqual({
      data: { __typename: 'Query' },
    });
    const graphiql = await fetch(`${controlPlane.baseUrl}/graphiql`);
    expect(graphiql.status).toBe(404);
  });

  it.each([
    [
      'a variable',
      { query: 'query ($n: String!) { model(name: $n) { id } }', variables: { n: 'a\u0000b' } },
    ],
    ['a literal', { query: '{ model(name: "a\\u0000b") { id } }' }],
    [
      'a variable nobody uses, deep in a list',
      { query: '{ models { nodes { name } } }', variables: { unused: [[['x', 'y\u0000']]] } },
    ],
  ])(
    'refuses a NUL byte in %s with a typed error, before the database',
    async (what, body) => {
      const { cost, result } = await measureCheap(controlPlane, `20 x NUL in ${what}`, async () => {
        const answers = [];
        for (let i = 0; i < 20; i += 1) answers.push(await post(body));
        return answers;
      });
      for (const answer of result) {
        expect(answer.status).toBe(400);
        expect(answer.body.errors).toEqual([
          {
            message: expect.stringContaining('contains a NUL character (U+0000)') as string,
            extensions: { code: 'BAD_USER_INPUT' },
          },
        ]);
      }
      expect(cost.databaseQueries).toBeLessThanOrEqual(cost.probeMs.length);
    },
    30_000,
  );

  it('refuses a model name longer than a model folder name can be, without echoing it', async () => {
    const name = 'n'.repeat(60_000);
    const before = await controlPlane.inside();
    const answer = await post({
      query: 'query ($n: String!) { model(name: $n) { id } }',
      variables: { n: name },
    });
    const after = await controlPlane.inside();
    expect(answer.status).toBe(200);
    expect(answer.body.data).toEqual({ model: null });
    expect(answer.body.errors?.[0]).toMatchObject({
      path: ['model'],
      extensions: { code: 'BAD_USER_INPUT', maximum: 255 },
    });
    expect(JSON.stringify(answer.body).length).toBeLessThan(1000);
    expect(after.databaseQueries - before.databaseQueries).toBe(0);
  });

  it.each([
    ['a document that is a JSON syntax tree', '{"kind":"Document","definitions":[{}]}'],
    [
      'a JSON tree with a broken operation',
      '{"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","selectionSet":null}]}',
    ],
    ['a JSON string', '"{ models { name } }"'],
  ])('refuses %s as a parse failure, not an internal error', async (_, query) => {
    const answer = await post({ query });
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual([
      {
        message: 'the query is JSON, not a GraphQL document',
        extensions: { code: 'GRAPHQL_PARSE_FAILED' },
      },
    ]);
  });

  it.each([
    ['a syntax error', { query: '{ models { id ' }, 400, 'GRAPHQL_PARSE_FAILED'],
    ['an unknown field', { query: '{ models { weights } }' }, 400, 'GRAPHQL_VALIDATION_FAILED'],
    ['a missing argument', { query: '{ model { id } }' }, 400, 'GRAPHQL_VALIDATION_FAILED'],
    [
      'a wrongly typed variable',
      { query: 'query ($n: String!) { model(name: $n) { id } }', variables: { n: 42 } },
      400,
      'BAD_USER_INPUT',
    ],
    [
      'an unknown operation name',
      { query: 'query A { models { id } }', operationName: 'B' },
      400,
      'GRAPHQL_VALIDATION_FAILED',
    ],
    ['a batch (array body)', [{ query: '{ models { id } }' }], 400, 'BAD_REQUEST'],
    ['a query that is not a string', { query: { text: '{ models { id } }' } }, 400, 'BAD_REQUEST'],
    [
      'variables that are not an object',
      { query: '{ models { id } }', variables: 'x' },
      400,
      'BAD_REQUEST',
    ],
    ['a body that is not JSON', '{"query": ', 400, 'BAD_REQUEST'],
    [
      'a JSON body with a prototype key',
      '{"query":"{ models { id } }","__proto__":{"x":1}}',
      400,
      'BAD_REQUEST',
    ],
  ])('answers %s with a typed error in the one shape', async (_, body, status, code) => {
    const answer = await post(body);
    expect(answer.status).toBe(status);
    expect(answer.body.data).toBeUndefined();
    expect(answer.body.errors).toHaveLength(1);
    expect(answer.body.errors?.[0]).toMatchObject({
      message: expect.any(String) as string,
      extensions: { code },
    });
  });

  it('cuts error messages that quote long caller input', async () => {
    const field = 'f'.repeat(50_000);
    const answer = await post({ query: `{ models { ${field} } }` });
    expect(answer.status).toBe(400);
    expect(errorCodeOf(answer.body)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(JSON.stringify(answer.body).length).toBeLessThan(1000);
  });
});
