import { TEST_ADMIN_KEY } from './test-credentials';

export interface GraphqlResponse<TData> {
  status: number;
  body: {
    data?: TData | null;
    errors?: { message: string; extensions?: { code?: string } & Record<string, unknown> }[];
  };
}

export interface GraphqlRequestOptions {
  /** The API key or JWT sent as `authorization: Bearer`; null sends none. Default: TEST_ADMIN_KEY. */
  credential?: string | null;
}

export async function postGraphql<TData = Record<string, unknown>>(
  baseUrl: string,
  query: string,
  variables?: Record<string, unknown>,
  { credential = TEST_ADMIN_KEY }: GraphqlRequestOptions = {},
): Promise<GraphqlResponse<TData>> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(credential === null ? {} : { authorization: `Bearer ${credential}` }),
    },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: response.status,
    body: (await response.json()) as GraphqlResponse<TData>['body'],
  };
}
