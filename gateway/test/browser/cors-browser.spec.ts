/**
 * A real browser (Debian's Chromium, driven by playwright-core) calling the gateway from a page of
 * another origin, as a web app does: the page of a configured origin gets its preflight answered
 * and its detect call (raw bytes and a FormData upload) works with `x-api-key`; without the key it
 * reads a 401; a page of an origin not configured is refused by the browser itself.
 */
import type { Browser, Page } from 'playwright-core';
import {
  chromiumMissing,
  launchChromium,
  missingPrerequisite,
  servePage,
  type ServedPage,
} from '@test-support';
import { sampleImage, startTestGateway, TEST_API_KEY, type TestGateway } from '../test-gateway';

const PAGE = '<!doctype html><html><head><title>app</title></head><body>app</body></html>';

/** What the page's script saw: a status and body, or the error fetch threw. */
type Outcome = { status: number; body: string; requestId: string | null } | { error: string };

describe('CORS from a real browser page of another origin', () => {
  if (missingPrerequisite('Chromium', chromiumMissing())) return;

  let allowedPage: ServedPage;
  let otherPage: ServedPage;
  let gateway: TestGateway;
  let browser: Browser;

  beforeAll(async () => {
    allowedPage = await servePage(PAGE);
    otherPage = await servePage(PAGE);
    gateway = await startTestGateway({ GATEWAY_CORS_ORIGINS: allowedPage.origin });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    await allowedPage?.close();
    await otherPage?.close();
  });

  /** A fresh page at `origin`, its script about to call the gateway. */
  const pageAt = async (origin: string): Promise<Page> => {
    const page = await browser.newPage();
    await page.goto(`${origin}/`);
    return page;
  };

  /** The page's own fetch of detect with the sample image, raw or as a FormData upload. */
  const detectFrom = (page: Page, key: string | null, form: boolean): Promise<Outcome> =>
    page.evaluate(
      async ({ url, key, image, form }) => {
        const bytes = Uint8Array.from(atob(image), (char) => char.charCodeAt(0));
        const blob = new Blob([bytes], { type: 'image/jpeg' });
        const headers: Record<string, string> = key ? { 'x-api-key': key } : {};
        let body: Blob | FormData = blob;
        if (form) {
          const data = new FormData();
          data.append('image', blob, 'messi5.jpg');
          data.append('image', blob, 'again.jpg');
          body = data;
        } else {
          headers['content-type'] = 'image/jpeg';
        }
        try {
          const response = await fetch(url, { method: 'POST', headers, body });
          return {
            status: response.status,
            body: await response.text(),
            requestId: response.headers.get('x-request-id'),
          };
        } catch (error) {
          return { error: String(error) };
        }
      },
      {
        url: `${gateway.httpUrl}/v1/models/nanodet/detect`,
        key,
        image: sampleImage('messi5.jpg').toString('base64'),
        form,
      },
    );

  it("a configured origin's page calls detect with its key (preflight answered)", async () => {
    const page = await pageAt(allowedPage.origin);
    try {
      // x-api-key and image/jpeg make this a non-simple request: the browser sends the preflight
      // first and goes on only if it allows the origin, the method and both headers.
      const raw = await detectFrom(page, TEST_API_KEY, false);
      expect(raw).toMatchObject({ status: 200 });
      const detected = JSON.parse((raw as { body: string }).body) as { detections: unknown[] };
      expect(detected.detections.length).toBeGreaterThan(0);

      const upload = await detectFrom(page, TEST_API_KEY, true);
      expect(upload).toMatchObject({ status: 200 });
      const results = (JSON.parse((upload as { body: string }).body) as { results: unknown[] })
        .results;
      expect(results).toHaveLength(2);
    } finally {
      await page.close();
    }
  });

  it('the same call without the key gets 401, and the page can read it', async () => {
    const page = await pageAt(allowedPage.origin);
    try {
      const outcome = await detectFrom(page, null, false);
      expect(outcome).toMatchObject({ status: 401 });
      expect((outcome as { body: string }).body).toMatch(/credential|api key|unauthenticated/i);
    } finally {
      await page.close();
    }
  });

  it('a page of an origin not configured is refused by the browser', async () => {
    const page = await pageAt(otherPage.origin);
    try {
      const outcome = await detectFrom(page, TEST_API_KEY, false);
      expect(outcome).toEqual({ error: expect.stringMatching(/TypeError: Failed to fetch/) });
    } finally {
      await page.close();
    }
  });

  it('renders the API docs page from the gateway alone, within its content security policy', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    // Anything not from the gateway would be a CDN the page needs: refused, and listed.
    await page.route('**/*', (route) =>
      route.request().url().startsWith(gateway.httpUrl) ? route.continue() : route.abort(),
    );
    try {
      await page.goto(`${gateway.httpUrl}/docs`);
      await page.waitForSelector('.opblock', { timeout: 30_000 });
      expect(await page.locator('.opblock').count()).toBeGreaterThan(20);
      expect(await page.locator('.info .title').innerText()).toMatch(/Triton CV gateway/);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
