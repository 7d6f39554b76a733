import { BREAK, type DocumentNode, visit } from 'graphql';
import { badUserInput } from './bad-user-input';

/**
 * A mercurius preExecution hook: no string of the request, in the document's literals or in its
 * variables (lists and input objects included), may hold U+0000. GraphQL and JSON accept it
 * (`"\u0000"`), Postgres text cannot store it, and the driver's refusal would otherwise come back
 * from the database after a round trip. Checked once for the whole request, before any resolver.
 */
export function refuseNulCharacters(
  _schema: unknown,
  document: DocumentNode,
  _context: unknown,
  variables: Record<string, unknown> | undefined,
): void {
  for (const [name, value] of Object.entries(variables ?? {})) {
    if (holdsNul(value)) throw nulError(`variable $${name}`);
  }
  let literal = false;
  visit(document, {
    StringValue(node) {
      if (!node.value.includes('\u0000')) return undefined;
      literal = true;
      return BREAK;
    },
  });
  if (literal) throw nulError('a string in the query');
}

function nulError(where: string) {
  return badUserInput(
    `${where} contains a NUL character (U+0000), which the registry cannot store`,
  );
}

/** Walks with a stack of its own: variables are caller JSON, nested as deep as the body allows. */
function holdsNul(root: unknown): boolean {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return true;
    } else if (typeof value === 'object' && value !== null) {
      for (const item of Object.values(value)) pending.push(item);
    }
  }
  return false;
}
