import { refuseJsonDocuments } from './json-document-guard';

describe('refuseJsonDocuments', () => {
  it.each([
    '{"kind":"Document","definitions":[]}',
    '  [1, 2]',
    '"{ models { name } }"',
    '42',
    'null',
  ])('refuses a query that is JSON: %s', (source) => {
    expect(() => refuseJsonDocuments(undefined, source)).toThrow(
      expect.objectContaining({ extensions: { code: 'GRAPHQL_PARSE_FAILED' } }) as Error,
    );
  });

  it.each([
    '{ models { name } }',
    'query ($n: String!) { model(name: $n) { id } }',
    '{ models { id ',
    '',
  ])('lets GraphQL text (valid or not) through to the parser: %s', (source) => {
    expect(() => refuseJsonDocuments(undefined, source)).not.toThrow();
  });
});
