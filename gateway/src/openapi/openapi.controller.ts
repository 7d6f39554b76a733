import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Controller, Get, Header, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { OpenAPIObject } from '@nestjs/swagger';
import { ACCESS } from '../auth/access-policy';
import { Access } from '../auth/http/access.decorator';
import { notFound, unavailable } from '../errors/gateway-error';
import { quoted } from '../errors/quoted-value';

/**
 * The page's own policy: Swagger UI's script and styles from this server only (no CDN: the page
 * works without internet), its calls to this server only. Every other answer keeps the API's
 * `default-src 'none'` (security-headers.ts lets a route set its own).
 */
const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Triton CV gateway API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/docs-init.js"></script>
</body>
</html>
`;

/** Swagger UI started from a file of its own: the page's policy allows no inline script. */
const INIT_SCRIPT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
});
`;

/** swagger-ui-dist's files the page loads, read once, with their types. */
const ASSET_TYPES: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

/** The document and its human page, both public. */
@ApiTags('documentation')
@Controller()
export class OpenApiController {
  private document?: OpenAPIObject;
  private readonly assets = new Map<string, Buffer>();

  /** Set once the routes are registered (gateway-app.ts). */
  publish(document: OpenAPIObject): void {
    this.document = document;
  }

  @Get('openapi.json')
  @Access(ACCESS.public)
  @ApiOperation({ summary: 'This document (OpenAPI 3)' })
  @ApiOkResponse({ description: 'the OpenAPI document', schema: { type: 'object' } })
  openApi(): OpenAPIObject {
    if (!this.document) throw unavailable('the API description is not built yet; retry shortly');
    return this.document;
  }

  @Get('docs')
  @Access(ACCESS.public)
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('content-security-policy', DOCS_CSP)
  @ApiOperation({ summary: 'The API documentation page (Swagger UI, served locally)' })
  @ApiOkResponse({
    description: 'an HTML page',
    content: { 'text/html': { schema: { type: 'string' } } },
  })
  page(): string {
    return PAGE;
  }

  @Get('docs/:asset')
  @Access(ACCESS.public)
  @Header('content-security-policy', DOCS_CSP)
  @Header('cache-control', 'public, max-age=3600')
  @ApiOperation({ summary: "The documentation page's script, styles and icon" })
  @ApiOkResponse({ description: 'a static file' })
  asset(
    @Param('asset') name: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Buffer | string {
    if (name === 'docs-init.js') {
      void reply.type('text/javascript; charset=utf-8');
      return INIT_SCRIPT;
    }
    const type = ASSET_TYPES[name];
    if (!type) throw notFound(`no documentation file ${quoted(name)}`);
    void reply.type(type);
    let bytes = this.assets.get(name);
    if (!bytes) {
      bytes = readFileSync(join(SWAGGER_UI_DIR, name));
      this.assets.set(name, bytes);
    }
    return bytes;
  }
}

/** Where swagger-ui-dist's files are (a dependency of this package, not fetched at run time). */
const SWAGGER_UI_DIR = dirname(require.resolve('swagger-ui-dist/package.json'));
