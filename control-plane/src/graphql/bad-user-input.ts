import { GraphQLError } from 'graphql';

/** A resolver argument the control plane refuses; GraphQL reports it with the field's path. */
export function badUserInput(
  message: string,
  extensions: Record<string, unknown> = {},
): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, code: 'BAD_USER_INPUT' } });
}
