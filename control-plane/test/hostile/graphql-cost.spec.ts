import { errorCodeOf, postJson, type JsonAnswer } from './answers';
import { measureCheap } from './cost-meter';
import { startMeteredControlPlane, type MeteredControlPlane } from './metered-control-plane';

/**
 * Queries whose cost grows with what the caller writes (issue 10, finding 9): each is refused
 * before it executes, by a typed error naming the limit, or executed with a bounded number of
 * database queries. Every bound holds by itself: the tests that need a later bound raise the
 * earlier ones (body size, tokens) on a second control plane.
 */
const MIB = 1024 * 1024;

const repeat = (count: number, part: (index: number) => string): string =>
  Array.from({ length: count }, (_, index) => part(index)).join(' ');

/** 5,000 root aliases, each one a database query in the resolvers as they were. */
const FIVE_THOUSAND_ALIASES = `{ ${repeat(5000, (i) => `a${i}: models { name }`)} }`;

describe('control plane: query cost (hostile)', () => {
  let standard: MeteredControlPlane;
  /** Body limit and token limit raised to their maximum: the later limits hold by themselves. */
  let raised: MeteredControlPlane;

  beforeAll(async () => {
    [standard, raised] = await Promise.all([
      startMeteredControlPlane(),
      startMeteredControlPlane({
        CONTROL_PLANE_MAX_BODY_BYTES: String(4 * MIB),
        CONTROL_PLANE_GRAPHQL_MAX_TOKENS: '4000',
      }),
    ]);
  }, 240_000);

  afterAll(() => Promise.all([standard?.stop(), raised?.stop()]));

  async function refusedCheaply(
    controlPlane: MeteredControlPlane,
    what: string,
    query: string,
  ): Promise<JsonAnswer> {
    const { cost, result } = await measureCheap(controlPlane, what, () =>
      postJson(controlPlane.baseUrl, { query }),
    );
    // The probes' queries only: the refused query made none.
    expect(cost.databaseQueries).toBeLessThanOrEqual(cost.probeMs.length);
    return result;
  }

  it('refuses a 5,000-alias query at the body limit, before reading it', async () => {
    const answer = await refusedCheaply(
      standard,
      '5,000 aliases (defaults)',
      FIVE_THOUSAND_ALIASES,
    );
    expect(answer.status).toBe(413);
    expect(errorCodeOf(answer.body)).toBe('PAYLOAD_TOO_LARGE');
  }, 60_000);

  it('refuses a 5,000-alias query at the token limit when the body limit lets it through', async () => {
    const answer = await refusedCheaply(
      raised,
      '5,000 aliases (raised body limit)',
      FIVE_THOUSAND_ALIASES,
    );
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.[0]).toMatchObject({
      message: expect.stringContaining('more than 4000 tokens') as string,
      extensions: { code: 'QUERY_TOO_LARGE' },
    });
  }, 60_000);

  it('refuses 600 aliases at the alias limit, before validating them', async () => {
    const query = `{ ${repeat(600, (i) => `a${i}: models { name }`)} }`;
    const answer = await refusedCheaply(raised, '600 aliases (raised limits)', query);
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual([
      {
        message:
          'the operation uses 600 aliases; at most 20 are allowed (CONTROL_PLANE_GRAPHQL_MAX_ALIASES)',
        extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'aliases', maximum: 20 },
      },
    ]);
  }, 60_000);

  it('stops parsing at the token limit', async () => {
    // 10,000 tokens in 60 KiB: within the body limit.
    const query = `{ models { ${repeat(10_000, () => 'name')} } }`;
    const answer = await refusedCheaply(standard, '10,000 tokens', query);
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.[0]).toMatchObject({
      message: expect.stringContaining(
        'more than 1000 tokens (CONTROL_PLANE_GRAPHQL_MAX_TOKENS)',
      ) as string,
      extensions: { code: 'QUERY_TOO_LARGE' },
    });
  }, 60_000);

  it.each([
    [
      '41 levels of introspection',
      `{ __type(name: "Query") { ${'ofType { '.repeat(40)}name${' }'.repeat(40)} } }`,
    ],
    ['1,300 levels', `{ ${'models { '.repeat(1300)}name${' }'.repeat(1300)} }`],
  ])(
    'refuses a query nested deeper than the depth limit: %s',
    async (what, query) => {
      const answer = await refusedCheaply(raised, what, query);
      expect(answer.status).toBe(400);
      expect(answer.body.errors).toEqual([
        {
          message: 'the operation nests fields more than 15 deep (CONTROL_PLANE_GRAPHQL_MAX_DEPTH)',
          extensions: { code: 'QUERY_TOO_DEEP', limit: 'depth', maximum: 15 },
        },
      ]);
    },
    60_000,
  );

  it('refuses pages that multiply into ten thousand items, before anything executes', async () => {
    const query =
      'query ($n: Int!) { models(first: 100) { nodes { versions(first: $n) { nodes { id version status } } } } }';
    const { cost, result } = await measureCheap(standard, 'nested pages of 100', () =>
      postJson(standard.baseUrl, { query, variables: { n: 100 } }),
    );
    expect(cost.databaseQueries).toBeLessThanOrEqual(cost.probeMs.length);
    expect(result.status).toBe(400);
    expect(result.body.errors).toEqual([
      {
        message: expect.stringMatching(
          /^the operation would cost about \d+ .*at most 10000 is allowed \(CONTROL_PLANE_GRAPHQL_MAX_COMPLEXITY\)$/,
        ) as string,
        extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'complexity', maximum: 10_000 },
      },
    ]);
    // The same shape at the default page sizes is served.
    const served = await postJson(standard.baseUrl, {
      query: '{ models { nodes { versions { nodes { id version status } } } } }',
    });
    expect(served.status).toBe(200);
    expect(served.body.errors).toBeUndefined();
  }, 60_000);

  it.each([
    ['3,500 fields', `{ models { ${repeat(3500, () => 'name')} } }`],
    [
      'fragments doubling 40 times',
      `query { models { ...F0 } } ${repeat(40, (i) => `fragment F${i} on Model { ...F${i + 1} ...F${i + 1} name }`)} fragment F40 on Model { name }`,
    ],
  ])(
    'refuses a query selecting more fields than allowed: %s',
    async (what, query) => {
      const answer = await refusedCheaply(raised, what, query);
      expect(answer.status).toBe(400);
      expect(errorCodeOf(answer.body)).toBe('QUERY_TOO_COMPLEX');
    },
    60_000,
  );

  it('answers 15 model lookups and 5 model lists in one operation with three database queries', async () => {
    const query = `{ ${repeat(15, (i) => `m${i}: model(name: "${i === 0 ? 'nanodet' : `missing-${i}`}") { name versions { nodes { version } } }`)} ${repeat(5, (i) => `l${i}: models { nodes { name } }`)} }`;
    const before = await standard.inside();
    const answer = await postJson(standard.baseUrl, { query });
    const after = await standard.inside();
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data).toMatchObject({
      m0: { name: 'nanodet', versions: { nodes: [{ version: '1' }] } },
      m1: null,
      l4: { nodes: [{ name: 'nanodet' }] },
    });
    // The lookups by name, their versions, and the list (asked five times, read once).
    expect(after.databaseQueries - before.databaseQueries).toBe(3);
  }, 60_000);

  it('keeps nothing of the documents it refused: 500 distinct 900-token queries', async () => {
    const { result } = await measureCheap(
      standard,
      '500 distinct 900-token queries',
      async () => {
        const statuses = new Set<number>();
        for (let i = 0; i < 500; i += 1) {
          const query = `{ models { ${repeat(900, (field) => `f${i}_${field}`)} } }`;
          statuses.add((await postJson(standard.baseUrl, { query })).status);
        }
        return statuses;
      },
      // What is kept stays under the default 16 MiB (measured +1 MiB). The peak is garbage: it
      // rose from +11 MiB to +80-230 MiB with the model-lifecycle work (a larger live heap, and
      // the complexity estimate of the probes running meanwhile); not yet explained, see the
      // closing note of issue 12. The bound still catches documents being kept (cache: false).
      { rssPeakGrowthBytes: 320 * 1024 * 1024 },
    );
    expect([...result]).toEqual([400]);
  }, 180_000);
});
