import {
  type DocumentNode,
  GraphQLError,
  type GraphQLSchema,
  validate,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import {
  type ComplexityEstimator,
  createComplexityRule,
  simpleEstimator,
} from 'graphql-query-complexity';

/**
 * A connection costs its page size times what one of its items costs: `models(first: 100) {
 * nodes { versions(first: 100) { ... } } }` asks for ten thousand versions, which the field and
 * depth limits (operation-cost.ts) cannot see. Fields without `first` cost one plus their children.
 */
const connectionEstimator: ComplexityEstimator = ({ args, childComplexity }) => {
  const first = (args as { first?: unknown }).first;
  return typeof first === 'number' && first > 0 ? 1 + first * childComplexity : undefined;
};

/**
 * A mercurius preExecution hook: the estimated cost of a valid document (graphql-query-complexity,
 * with the request's variables: a page size may come in one) is refused over `maximum` before any
 * resolver runs. After validation rather than in it, so documents that fail validation (the
 * cheap refusals of hostile input) never pay for the estimate; every operation of the document
 * must fit.
 */
export function refuseOverComplexOperations(maximum: number) {
  return (
    schema: GraphQLSchema,
    document: DocumentNode,
    _context: unknown,
    variables: Record<string, unknown> | undefined,
  ): void => {
    const [refusal] = validate(schema, document, [queryComplexityRule(maximum, variables)]);
    if (refusal !== undefined) throw refusal;
  };
}

function queryComplexityRule(
  maximum: number,
  variables: Record<string, unknown> | undefined,
): ValidationRule {
  const rule = createComplexityRule({
    maximumComplexity: maximum,
    estimators: [connectionEstimator, simpleEstimator({ defaultComplexity: 1 })],
    ...(variables !== undefined ? { variables } : {}),
    createError: (max, actual) =>
      new GraphQLError(
        `the operation would cost about ${actual} (page sizes multiply what each item selects); at most ${max} is allowed (CONTROL_PLANE_GRAPHQL_MAX_COMPLEXITY)`,
        { extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'complexity', maximum: max } },
      ),
  });
  // The estimator also reports arguments it cannot read (a missing required one, ...), which
  // graphql-js' own rules report already: only its verdict on the cost is passed on.
  return (context: ValidationContext) => {
    const verdictOnly = Object.create(context) as ValidationContext;
    verdictOnly.reportError = (error: GraphQLError) => {
      if (error.extensions.limit === 'complexity') context.reportError(error);
    };
    return rule(verdictOnly);
  };
}
