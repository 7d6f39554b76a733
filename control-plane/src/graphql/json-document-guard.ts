import { GraphQLError } from 'graphql';

/**
 * A mercurius preParsing hook. When a query fails to parse as GraphQL, mercurius tries it as a
 * JSON-encoded syntax tree and runs that; a hand-made tree skips the parser's token limit and crashes
 * graphql-js' validation with TypeErrors. Queries are GraphQL text only: a query that is valid JSON
 * is refused before mercurius parses it. No GraphQL document is valid JSON (a JSON object's keys
 * are quoted, a GraphQL field's name cannot be), so nothing valid is lost.
 */
export function refuseJsonDocuments(_schema: unknown, source: string): void {
  if (!JSON_START.test(source)) return;
  try {
    JSON.parse(source);
  } catch {
    // Not JSON, so mercurius' fallback cannot take it either.
    return;
  }
  throw new GraphQLError('the query is JSON, not a GraphQL document', {
    extensions: { code: 'GRAPHQL_PARSE_FAILED' },
  });
}

/** JSON.parse fails at the first character that is not JSON; this skips it for ordinary queries. */
const JSON_START = /^\s*(?:[[{"\-\d]|true|false|null)/;
