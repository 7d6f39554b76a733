import {
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { GraphqlLimits } from '../config/control-plane-config';
import type { ErrorCode } from '../errors/control-plane-error';

/** The rules mercurius runs after graphql-js' specified rules, in the same validation pass. */
export function controlPlaneValidationRules(
  limits: Pick<GraphqlLimits, 'introspection'>,
): ValidationRule[] {
  return limits.introspection
    ? []
    : [withErrorCode(NoSchemaIntrospectionCustomRule, 'INTROSPECTION_DISABLED')];
}

/** `rule`, with every error it reports carrying `extensions.code`. */
export function withErrorCode(rule: ValidationRule, code: ErrorCode): ValidationRule {
  return (context: ValidationContext) => {
    // Everything else of the context is the real one's (its prototype).
    const coded: ValidationContext = Object.create(context) as ValidationContext;
    coded.reportError = (error: GraphQLError) =>
      context.reportError(
        new GraphQLError(error.message, {
          nodes: error.nodes,
          source: error.source,
          positions: error.positions,
          extensions: { ...error.extensions, code },
        }),
      );
    return rule(coded);
  };
}
