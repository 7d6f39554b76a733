import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';

/** Debian's Chromium (scripts/setup.sh --test installs it); CHROMIUM_PATH names another. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why no browser test can run here, or undefined when Chromium is installed. */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM_PATH)
    ? undefined
    : `Chromium not found at ${CHROMIUM_PATH}: run scripts/setup.sh --test (apt-get install chromium)`;
}

/**
 * A real headless Chromium driven by playwright-core (no browser download: the system's own).
 * playwright-core is loaded here, not at import, so that tests without a browser do not pay for it.
 */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox'] });
}

/** A page served from an origin of its own (127.0.0.1 on a free port), for cross-origin tests. */
export interface ServedPage {
  /** `http://127.0.0.1:<port>`, as the browser sends it in `Origin`. */
  origin: string;
  close(): Promise<void>;
}

/** Serves `html` at `/` (and 404 elsewhere) until closed. */
export async function servePage(html: string): Promise<ServedPage> {
  const server = createServer((request, response) => {
    const found = request.url === '/';
    response.writeHead(found ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
    response.end(found ? html : '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
