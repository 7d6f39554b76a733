/**
 * The control plane's GraphQL from a real browser page of another origin (Debian's Chromium,
 * driven by playwright-core): with CONTROL_PLANE_CORS_ORIGINS naming the page's origin, the
 * preflight of its JSON POST is answered and the query runs with its credential; without the
 * credential the page reads a 401; a page of an origin not configured is refused by the browser.
 */
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import {
  chromiumMissing,
  launchChromium,
  missingPrerequisite,
  servePage,
  type ServedPage,
} from '@test-support';
import { ControlPlaneProcess } from './support/control-plane-process';
import { createFixtureModelRepository } from './support/fixture-model-repository';
import { createTemporaryDirectory, removeDirectory } from './support/temporary-directory';
import { TEST_ADMIN_KEY } from './support/test-credentials';

const PAGE = '<!doctype html><html><head><title>registry ui</title></head><body></body></html>';

type Outcome = { status: number; body: string } | { error: string };

describe('control plane GraphQL CORS from a real browser', () => {
  if (missingPrerequisite('Chromium', chromiumMissing())) return;

  let workDir: string;
  let allowedPage: ServedPage;
  let otherPage: ServedPage;
  let controlPlane: ControlPlaneProcess;
  let browser: Browser;

  beforeAll(async () => {
    workDir = await createTemporaryDirectory('control-plane-cors');
    const repository = path.join(workDir, 'models');
    await createFixtureModelRepository(repository);
    allowedPage = await servePage(PAGE);
    otherPage = await servePage(PAGE);
    controlPlane = await ControlPlaneProcess.start({
      MODEL_REPOSITORY: repository,
      CONTROL_PLANE_DATA_DIR: path.join(workDir, 'data'),
      CONTROL_PLANE_CORS_ORIGINS: allowedPage.origin,
    });
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await controlPlane?.stop();
    await allowedPage?.close();
    await otherPage?.close();
    await removeDirectory(workDir);
  });

  const queryFrom = async (origin: string, credential: string | null): Promise<Outcome> => {
    const page: Page = await browser.newPage();
    try {
      await page.goto(`${origin}/`);
      return await page.evaluate(
        async ({ url, credential }) => {
          try {
            const response = await fetch(url, {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                ...(credential ? { authorization: `Bearer ${credential}` } : {}),
              },
              body: JSON.stringify({ query: '{ models { nodes { name } } }' }),
            });
            return { status: response.status, body: await response.text() };
          } catch (error) {
            return { error: String(error) };
          }
        },
        { url: `${controlPlane.baseUrl}/graphql`, credential },
      );
    } finally {
      await page.close();
    }
  };

  it("a configured origin's page runs a query with its credential (preflight answered)", async () => {
    // A JSON POST with authorization is not a simple request: the browser asks first.
    const outcome = await queryFrom(allowedPage.origin, TEST_ADMIN_KEY);
    expect(outcome).toMatchObject({ status: 200 });
    const body = JSON.parse((outcome as { body: string }).body) as {
      data: { models: { nodes: { name: string }[] } };
    };
    expect(body.data.models.nodes.map((model) => model.name)).toContain('nanodet');
  });

  it('the same query without the credential gets 401, and the page can read it', async () => {
    const outcome = await queryFrom(allowedPage.origin, null);
    expect(outcome).toMatchObject({ status: 401 });
    expect((outcome as { body: string }).body).toContain('UNAUTHENTICATED');
  });

  it('a page of an origin not configured is refused by the browser', async () => {
    const outcome = await queryFrom(otherPage.origin, TEST_ADMIN_KEY);
    expect(outcome).toEqual({ error: expect.stringMatching(/TypeError: Failed to fetch/) });
  });

  it('answers the preflight itself without a credential, naming the headers it allows', async () => {
    const response = await fetch(`${controlPlane.baseUrl}/graphql`, {
      method: 'OPTIONS',
      headers: {
        origin: allowedPage.origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(allowedPage.origin);
    expect(response.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    expect(response.headers.get('access-control-allow-headers')).toMatch(/content-type/);
  });
});
