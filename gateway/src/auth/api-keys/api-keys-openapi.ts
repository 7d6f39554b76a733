import { applyDecorators } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
} from '@nestjs/swagger';
import { z } from 'zod';
import { newKeySchema } from './admin-requests';
import type { ApiKeyView, IssuedApiKey } from './api-key-service';

/** A key as the admin API shows it (never its secret, once issued). */
export const apiKeyViewSchema = z
  .object({
    id: z.string(),
    tenant: z.string(),
    scopes: z.array(z.string()),
    name: z.string().optional(),
    createdAt: z.string().describe('ISO 8601'),
    revokedAt: z.string().optional().describe('ISO 8601'),
    rotatedFrom: z.string().optional().describe('the id of the key this one replaced'),
  })
  .strict();
export const issuedApiKeySchema = apiKeyViewSchema
  .extend({ key: z.string().describe('the whole key, shown this once') })
  .strict();

/** Compile-time proof that the schemas say what the service returns. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const viewMatches: Same<z.infer<typeof apiKeyViewSchema>, ApiKeyView> = true;
const issuedMatches: Same<z.infer<typeof issuedApiKeySchema>, IssuedApiKey> = true;
void viewMatches;
void issuedMatches;

const json = (schema: z.ZodType) => ({
  'application/json': {
    schema: z.toJSONSchema(schema, { target: 'openapi-3.0' }) as Record<string, unknown>,
  },
});

/** The admin API's OpenAPI, one decorator per route; request bodies from the validating schema. */
export const ApiKeysApi = {
  create: (): MethodDecorator =>
    applyDecorators(
      ApiOperation({
        summary: 'Create an API key (shown once)',
        requestBody: { required: true, content: json(newKeySchema) },
      }),
      ApiCreatedResponse({ description: 'the new key', content: json(issuedApiKeySchema) }),
    ),
  list: (): MethodDecorator =>
    applyDecorators(
      ApiOperation({ summary: 'List API keys (without secrets)' }),
      ApiOkResponse({
        description: 'every key',
        content: json(z.object({ keys: z.array(apiKeyViewSchema) }).strict()),
      }),
    ),
  revoke: (): MethodDecorator =>
    applyDecorators(
      ApiOperation({ summary: 'Revoke an API key' }),
      ApiNoContentResponse({ description: 'revoked' }),
    ),
  rotate: (): MethodDecorator =>
    applyDecorators(
      ApiOperation({ summary: 'Rotate an API key: a new secret, the old key revoked' }),
      ApiCreatedResponse({ description: 'the new key', content: json(issuedApiKeySchema) }),
    ),
};
