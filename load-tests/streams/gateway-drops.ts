import { benchAuthHeaders } from '../lib/bench-credentials';

/**
 * The gateway's own count of dropped stream frames by reason (gateway_stream_frames_dropped_total
 * on /metrics), to set beside what the clients were told in drop notices.
 */
export async function gatewayDrops(httpUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${httpUrl}/metrics`, { headers: benchAuthHeaders() })).text();
  const drops: Record<string, number> = {};
  const line =
    /^gateway_stream_frames_dropped_total\{[^}]*reason="([a-z_]+)"[^}]*\} ([0-9.e+]+)$/gm;
  for (const [, reason, value] of text.matchAll(line)) {
    drops[reason] = (drops[reason] ?? 0) + Number(value);
  }
  return drops;
}

/** after − before, by reason, leaving out reasons that did not move. */
export function dropsBetween(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after)
      .map(([reason, value]): [string, number] => [reason, value - (before[reason] ?? 0)])
      .filter(([, value]) => value > 0),
  );
}
