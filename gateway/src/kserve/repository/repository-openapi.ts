import { applyDecorators } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';

/** The model_repository extension's REST bodies (repository-requests.ts checks them). */
export const RepositoryApi = {
  index: (): MethodDecorator =>
    applyDecorators(
      ApiOperation({
        summary: 'The repository index: every model, its versions and state',
        requestBody: {
          required: false,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                additionalProperties: false,
                properties: { ready: { type: 'boolean', description: 'only ready models' } },
              },
            },
          },
        },
      }),
      ApiOkResponse({
        description: 'the index',
        content: {
          'application/json': {
            schema: {
              type: 'array',
              items: {
                type: 'object',
                required: ['name'],
                properties: {
                  name: { type: 'string' },
                  version: { type: 'string' },
                  state: { type: 'string' },
                  reason: { type: 'string' },
                },
              },
            },
          },
        },
      }),
    ),
  control: (summary: string): MethodDecorator =>
    applyDecorators(
      ApiOperation({
        summary,
        requestBody: {
          required: false,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                additionalProperties: false,
                properties: {
                  parameters: {
                    type: 'object',
                    description: "unload takes 'unload_dependents' (boolean); load takes none",
                  },
                },
              },
            },
          },
        },
      }),
      ApiOkResponse({ description: 'done (an empty body)' }),
    ),
};
