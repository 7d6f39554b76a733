import cors from '@fastify/cors';
import type { FastifyInstance, RouteOptions } from 'fastify';

/**
 * The origins allowed to call an app from a browser: none (no CORS headers at all, the default),
 * a list of exact origins, or every origin (`*`, only when written as such).
 */
export type CorsOrigins = readonly string[] | '*';

/**
 * A comma-separated origins setting (GATEWAY_CORS_ORIGINS, CONTROL_PLANE_CORS_ORIGINS) as
 * CorsOrigins, or the problems with it. Each entry must be an origin exactly as a browser sends
 * it in `Origin` (`scheme://host[:port]`, lower case, no path, no default port): the match is
 * exact, so an entry a browser never sends would silently allow nobody.
 */
export function parseCorsOrigins(
  value: string | undefined,
): { origins: CorsOrigins } | { problems: string[] } {
  const entries = (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.includes('*')) {
    return entries.length === 1
      ? { origins: '*' }
      : { problems: ["lists '*' with other origins: '*' allows every origin, so write it alone"] };
  }
  const problems = entries.flatMap((entry) => {
    const problem = originProblem(entry);
    return problem ? [`entry '${entry}' ${problem}`] : [];
  });
  const duplicate = entries.find((entry, index) => entries.indexOf(entry) !== index);
  if (duplicate) problems.push(`lists '${duplicate}' twice`);
  return problems.length > 0 ? { problems } : { origins: entries };
}

function originProblem(entry: string): string | undefined {
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return 'is not an origin (scheme://host[:port], e.g. https://app.example.com)';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return 'must start with http:// or https://';
  if (url.origin !== entry) {
    return `is not an origin as browsers send it: write '${url.origin}' (no path, no default port, lower case)`;
  }
  return undefined;
}

export interface CorsPolicy {
  origins: CorsOrigins;
  /** Request headers a page may send (answered in preflights). */
  allowedHeaders: readonly string[];
  /** Response headers a page's script may read beyond the CORS-safelisted ones. */
  exposedHeaders: readonly string[];
  methods: readonly string[];
}

/** How long a browser may reuse a preflight's answer (Chromium caps it at 2 hours). */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * Answers CORS for `policy.origins` (nothing when the list is empty). @fastify/cors answers a
 * preflight in its onRequest hook, so it must be registered before authentication's hook (a
 * preflight never carries credentials); its catch-all OPTIONS route is marked with
 * `publicConfig`, so an app that refuses routes without an access policy still routes it. Only
 * preflights are answered without a credential: every other request still passes authentication.
 * No `Access-Control-Allow-Credentials`: clients send API keys or bearer tokens in headers, never
 * cookies.
 */
export async function registerCors(
  fastify: FastifyInstance,
  policy: CorsPolicy,
  publicConfig: Record<string, unknown> = {},
): Promise<void> {
  if (policy.origins !== '*' && policy.origins.length === 0) return;
  fastify.addHook('onRoute', (route: RouteOptions) => {
    if (route.method === 'OPTIONS' && route.url.endsWith('*')) {
      route.config = { ...route.config, ...publicConfig };
    }
  });
  await fastify.register(cors, {
    // A list (even of one) is matched exactly and answered with the caller's origin and
    // `Vary: Origin`; a disallowed origin gets no Access-Control-Allow-Origin, so its browser
    // refuses the answer to the page.
    origin: policy.origins === '*' ? '*' : [...policy.origins],
    methods: [...policy.methods],
    allowedHeaders: [...policy.allowedHeaders],
    exposedHeaders: [...policy.exposedHeaders],
    maxAge: PREFLIGHT_MAX_AGE_SECONDS,
    strictPreflight: true,
  });
}
