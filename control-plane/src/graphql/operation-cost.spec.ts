import { getIntrospectionQuery, Kind, parse, type FragmentDefinitionNode } from 'graphql';
import { costOf, refuseCostlyOperations, type OperationCost } from './operation-cost';

const DEFAULTS = { maxDepth: 15, maxAliases: 20, maxFields: 500 };

function costOfQuery(query: string, maxDepth = 1000): OperationCost {
  const document = parse(query);
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION)
      fragments.set(definition.name.value, definition);
  }
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (operation?.kind !== Kind.OPERATION_DEFINITION) throw new Error('no operation');
  return costOf(operation.selectionSet, fragments, maxDepth);
}

function refusal(query: string, limits = DEFAULTS): unknown {
  try {
    refuseCostlyOperations(limits)(undefined, parse(query));
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('operation cost', () => {
  it('counts depth, aliases and fields, fragments where they are spread', () => {
    expect(costOfQuery('{ models { name versions { id } } }')).toEqual({
      depth: 3,
      aliases: 0,
      fields: 4,
    });
    expect(
      costOfQuery(
        '{ a: models { ...F } b: models { ...F ... on Model { c: name } } } fragment F on Model { name versions { id } }',
      ),
    ).toEqual({ depth: 3, aliases: 3, fields: 2 + 3 + 3 + 1 });
  });

  it('measures fragments that double at each step in linear time', () => {
    const fragments = Array.from(
      { length: 60 },
      (_, i) => `fragment F${i} on Model { ...F${i + 1} ...F${i + 1} }`,
    ).join(' ');
    const cost = costOfQuery(`{ models { ...F0 } } ${fragments} fragment F60 on Model { name }`);
    expect(cost.fields).toBe(1 + 2 ** 60);
  });

  it('leaves cyclic and unknown fragments to validation', () => {
    expect(costOfQuery('{ models { ...A ...Missing } } fragment A on Model { name ...A }')).toEqual(
      { depth: 2, aliases: 0, fields: 2 },
    );
  });

  it('stops descending past the depth limit, so deep documents cannot exhaust the stack', () => {
    const levels = 1300;
    const query = `{ ${'models { '.repeat(levels)}name${' }'.repeat(levels)} }`;
    expect(costOfQuery(query, 15).depth).toBeGreaterThan(15);
  });

  it('lets the standard introspection query (what GraphiQL sends) through the default limits', () => {
    const query = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
    });
    expect(refusal(query)).toBeUndefined();
  });

  it.each([
    [
      '{ a: models { name } b: models { name } }',
      { ...DEFAULTS, maxAliases: 1 },
      'the operation uses 2 aliases; at most 1 are allowed (CONTROL_PLANE_GRAPHQL_MAX_ALIASES)',
      { code: 'QUERY_TOO_COMPLEX', limit: 'aliases', maximum: 1 },
    ],
    [
      'query Deep { models { versions { id } } }',
      { ...DEFAULTS, maxDepth: 2 },
      'operation Deep nests fields more than 2 deep (CONTROL_PLANE_GRAPHQL_MAX_DEPTH)',
      { code: 'QUERY_TOO_DEEP', limit: 'depth', maximum: 2 },
    ],
    [
      '{ models { name id } }',
      { ...DEFAULTS, maxFields: 2 },
      'the operation selects 3 fields (fragments counted where they are spread); at most 2 are allowed (CONTROL_PLANE_GRAPHQL_MAX_FIELDS)',
      { code: 'QUERY_TOO_COMPLEX', limit: 'fields', maximum: 2 },
    ],
  ])('refuses %s with a typed error naming the limit', (query, limits, message, extensions) => {
    expect(refusal(query, limits)).toMatchObject({ message, extensions });
  });

  it('checks every operation of the document, not only the one to run', () => {
    expect(
      refusal('query A { models { name } } query B { a: models { name } b: models { name } }', {
        ...DEFAULTS,
        maxAliases: 1,
      }),
    ).toMatchObject({ message: expect.stringContaining('operation B uses 2 aliases') as string });
  });
});
