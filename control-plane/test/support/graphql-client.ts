export interface GraphqlResponse<TData> {
  status: number;
  body: { data?: TData | null; errors?: { message: string }[] };
}

export async function postGraphql<TData = Record<string, unknown>>(
  baseUrl: string,
  query: string,
  variables?: Record<string, unknown>,
): Promise<GraphqlResponse<TData>> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: response.status,
    body: (await response.json()) as GraphqlResponse<TData>['body'],
  };
}
