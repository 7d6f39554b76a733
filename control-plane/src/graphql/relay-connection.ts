import { type Type } from '@nestjs/common';
import { ArgsType, Field, Int, ObjectType } from '@nestjs/graphql';
import { ControlPlaneFailure } from '../errors/control-plane-error';

/** Largest page a connection serves; `first` above it is refused rather than silently cut. */
export const MAX_PAGE_SIZE = 100;

@ArgsType()
export class PageArgs {
  @Field(() => Int, { defaultValue: 20, description: `Items per page, 1-${MAX_PAGE_SIZE}.` })
  first!: number;

  @Field(() => String, { nullable: true, description: "The previous page's endCursor." })
  after?: string | null;
}

@ObjectType('PageInfo')
export class PageInfoObject {
  @Field()
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface Connection<T> {
  edges: Edge<T>[];
  nodes: T[];
  pageInfo: PageInfoObject;
}

/** A Relay connection type for `node` (edges with cursors, `nodes` as a shortcut, `pageInfo`). */
export function connectionType<T>(node: Type<T>, name: string): Type<Connection<T>> {
  @ObjectType(`${name}Edge`)
  class EdgeType {
    @Field()
    cursor!: string;

    @Field(() => node)
    node!: T;
  }

  @ObjectType(`${name}Connection`)
  class ConnectionType {
    @Field(() => [EdgeType])
    edges!: EdgeType[];

    @Field(() => [node])
    nodes!: T[];

    @Field(() => PageInfoObject)
    pageInfo!: PageInfoObject;
  }
  return ConnectionType;
}

/** Checks `first`; the caller then fetches `first + 1` rows to know whether another page exists. */
export function pageSize(args: PageArgs): number {
  if (!Number.isInteger(args.first) || args.first < 1 || args.first > MAX_PAGE_SIZE) {
    throw new ControlPlaneFailure(
      'BAD_USER_INPUT',
      `first must be 1-${MAX_PAGE_SIZE}, got ${args.first}`,
      { argument: 'first', maximum: MAX_PAGE_SIZE },
    );
  }
  return args.first;
}

/** Cursors are opaque to clients: base64url of the sort key, prefixed by the connection's kind. */
export function encodeCursor(kind: string, key: string): string {
  return Buffer.from(`${kind}:${key}`, 'utf8').toString('base64url');
}

export function decodeCursor(kind: string, cursor: string | null | undefined): string | undefined {
  if (cursor === null || cursor === undefined) return undefined;
  const text = cursor.length <= 512 ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (!text.startsWith(`${kind}:`)) {
    throw new ControlPlaneFailure('BAD_USER_INPUT', `after is not a cursor of this list`, {
      argument: 'after',
    });
  }
  return text.slice(kind.length + 1);
}

/** Builds the page from `rows` fetched with `take = first + 1`. */
export function toConnection<Row, T>(
  rows: readonly Row[],
  first: number,
  kind: string,
  keyOf: (row: Row) => string,
  map: (row: Row) => T,
): Connection<T> {
  const page = rows.slice(0, first);
  const edges = page.map((row) => ({ cursor: encodeCursor(kind, keyOf(row)), node: map(row) }));
  return {
    edges,
    nodes: edges.map((edge) => edge.node),
    pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null },
  };
}
