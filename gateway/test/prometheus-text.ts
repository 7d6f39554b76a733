import { authHeaders } from './test-gateway';

/** The labels of one Prometheus text-format sample line, e.g. `name{a="1",b="x"} 3`. */
function labelsOf(line: string): Record<string, string> {
  const inside = line.slice(line.indexOf('{') + 1, line.lastIndexOf('}'));
  return Object.fromEntries([...inside.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
}

/** The value of the first sample of `name` whose labels include `labels`; undefined when none. */
export function sampleValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const found = labelsOf(line);
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) {
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return undefined;
}

/** One sample scraped from a gateway's /metrics (with the test credential); 0 when absent. */
export async function scrapeMetric(
  gateway: { httpUrl: string },
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const response = await fetch(`${gateway.httpUrl}/metrics`, { headers: authHeaders() });
  return sampleValue(await response.text(), name, labels) ?? 0;
}
