import { authHeaders, type TestGateway } from '../test-gateway';

/** One sample of the gateway's Prometheus text; 0 when the series does not exist. */
export async function metric(
  gateway: TestGateway,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const response = await fetch(`${gateway.httpUrl}/metrics`, { headers: authHeaders() });
  const text = await response.text();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const found = Object.fromEntries(
      [...line.slice(0, line.lastIndexOf('}')).matchAll(/(\w+)="([^"]*)"/g)].map((match) => [
        match[1],
        match[2],
      ]),
    );
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) {
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return 0;
}
