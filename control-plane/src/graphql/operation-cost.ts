import {
  GraphQLError,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { GraphqlLimits } from '../config/control-plane-config';

export type CostLimits = Pick<GraphqlLimits, 'maxDepth' | 'maxAliases' | 'maxFields'>;

/** What executing an operation would take, fragments expanded where they are spread. */
export interface OperationCost {
  /** Deepest nesting of fields (`{ models { name } }` is 2); at most maxDepth + 1 is measured. */
  depth: number;
  /** Aliased fields: `{ a: models { name } b: models { name } }` has 2. */
  aliases: number;
  /** Every field, each fragment counted at every spread: an upper bound of the fields resolved per object. */
  fields: number;
}

/**
 * A mercurius preValidation hook: refuses a document with an operation deeper, with more aliases
 * or with more fields than allowed, after parsing and before validation. graphql-js' validation
 * walks every field with some thirty rules (about a second for 5,000 aliases), so the limits are
 * checked first; graphql-js and mercurius have no alias or field-count limit, and mercurius'
 * `queryDepth` runs only after validation.
 */
export function refuseCostlyOperations(
  limits: CostLimits,
): (schema: unknown, document: DocumentNode) => void {
  return (_schema, document) => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) {
        fragments.set(definition.name.value, definition);
      }
    }
    for (const definition of document.definitions) {
      if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
      const cost = costOf(definition.selectionSet, fragments, limits.maxDepth);
      const name = definition.name ? `operation ${definition.name.value}` : 'the operation';
      if (cost.depth > limits.maxDepth) {
        throw limitError(
          'QUERY_TOO_DEEP',
          `${name} nests fields more than ${limits.maxDepth} deep (CONTROL_PLANE_GRAPHQL_MAX_DEPTH)`,
          'depth',
          limits.maxDepth,
        );
      }
      if (cost.aliases > limits.maxAliases) {
        throw limitError(
          'QUERY_TOO_COMPLEX',
          `${name} uses ${count(cost.aliases)} aliases; at most ${limits.maxAliases} are allowed ` +
            '(CONTROL_PLANE_GRAPHQL_MAX_ALIASES)',
          'aliases',
          limits.maxAliases,
        );
      }
      if (cost.fields > limits.maxFields) {
        throw limitError(
          'QUERY_TOO_COMPLEX',
          `${name} selects ${count(cost.fields)} fields (fragments counted where they are ` +
            `spread); at most ${limits.maxFields} are allowed (CONTROL_PLANE_GRAPHQL_MAX_FIELDS)`,
          'fields',
          limits.maxFields,
        );
      }
    }
  };
}

/**
 * The cost of a selection set. It descends no deeper than `maxDepth` + 1 (so a deep document
 * cannot exhaust the stack here), and measures each fragment once: a fragment spread many times,
 * or fragments spreading each other in a chain that doubles at each step, cost linear time even
 * though the counts they stand for grow exponentially.
 */
export function costOf(
  selectionSet: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  maxDepth: number,
): OperationCost {
  const fragmentCosts = new Map<string, OperationCost>();
  const measuring = new Set<string>();

  /** `above`: fields nesting the set, counted from the operation or the fragment being measured. */
  const measure = (set: SelectionSetNode, above: number): OperationCost => {
    const total: OperationCost = { depth: 0, aliases: 0, fields: 0 };
    for (const selection of set.selections) {
      let part: OperationCost;
      if (selection.kind === Kind.FIELD) {
        const below =
          selection.selectionSet && above + 1 <= maxDepth
            ? measure(selection.selectionSet, above + 1)
            : { depth: selection.selectionSet ? 1 : 0, aliases: 0, fields: 0 };
        part = {
          depth: below.depth + 1,
          aliases: below.aliases + (selection.alias === undefined ? 0 : 1),
          fields: below.fields + 1,
        };
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        part = measure(selection.selectionSet, above);
      } else {
        part = measureFragment(selection.name.value);
      }
      total.depth = Math.max(total.depth, part.depth);
      total.aliases += part.aliases;
      total.fields += part.fields;
    }
    return total;
  };

  const measureFragment = (name: string): OperationCost => {
    const known = fragmentCosts.get(name);
    if (known !== undefined) return known;
    const definition = fragments.get(name);
    // Unknown and cyclic fragments are validation's to refuse (KnownFragmentNames, NoFragmentCycles).
    if (definition === undefined || measuring.has(name)) return { depth: 0, aliases: 0, fields: 0 };
    measuring.add(name);
    const cost = measure(definition.selectionSet, 0);
    measuring.delete(name);
    fragmentCosts.set(name, cost);
    return cost;
  };

  return measure(selectionSet, 0);
}

function limitError(
  code: 'QUERY_TOO_DEEP' | 'QUERY_TOO_COMPLEX',
  message: string,
  limit: 'depth' | 'aliases' | 'fields',
  maximum: number,
): GraphQLError {
  return new GraphQLError(message, { extensions: { code, limit, maximum } });
}

/** Fragment fan-out can stand for more fields than a number prints sensibly. */
function count(value: number): string {
  return value > 1e9 ? 'more than 1000000000' : String(value);
}
