import { applyDecorators } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation } from '@nestjs/swagger';

/**
 * The Open Inference Protocol (KServe v2) REST bodies, as its specification and Triton define
 * them; the gateway's JSON decoder and encoder (infer-request-body.ts, infer-response-body.ts)
 * implement them, and the KServe conformance tests check those against tritonclient.
 */
const DATATYPES = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  'BF16',
  'BYTES',
];
const parameters = {
  type: 'object',
  additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] },
};
const shape = { type: 'array', items: { type: 'integer', minimum: 0 } };
const data = {
  description:
    'the elements, flat or nested, row-major; absent when the binary_data_size parameter says the tensor follows the JSON',
  type: 'array',
  items: {},
};

/** An input of a request or an output of an answer: the same fields both ways. */
const tensor = {
  type: 'object',
  required: ['name', 'shape', 'datatype'],
  properties: {
    name: { type: 'string' },
    shape,
    datatype: { type: 'string', enum: DATATYPES },
    parameters,
    data,
  },
};

const inferRequest = {
  type: 'object',
  required: ['inputs'],
  properties: {
    id: { type: 'string' },
    parameters,
    inputs: {
      type: 'array',
      items: tensor,
    },
    outputs: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name'],
        properties: { name: { type: 'string' }, parameters },
      },
    },
  },
};

const inferResponse = {
  type: 'object',
  required: ['model_name', 'outputs'],
  properties: {
    model_name: { type: 'string' },
    model_version: { type: 'string' },
    id: { type: 'string' },
    parameters,
    outputs: {
      type: 'array',
      items: tensor,
    },
  },
};

const tensorMetadata = {
  type: 'object',
  required: ['name', 'datatype', 'shape'],
  properties: {
    name: { type: 'string' },
    datatype: { type: 'string', enum: DATATYPES },
    shape: { type: 'array', items: { type: 'integer', description: '-1: any size' } },
  },
};

const binaryBody = {
  schema: {
    type: 'string',
    format: 'binary',
    description:
      'binary tensor data extension: the JSON header (Inference-Header-Content-Length bytes), then the tensors',
  },
};

/** The KServe REST routes' OpenAPI. */
export const KServeApi = {
  serverMetadata: (): MethodDecorator =>
    applyDecorators(
      ApiOperation({ summary: 'Server metadata: name, version, extensions' }),
      ApiOkResponse({
        description: 'server metadata',
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['name', 'version', 'extensions'],
              properties: {
                name: { type: 'string' },
                version: { type: 'string' },
                extensions: { type: 'array', items: { type: 'string' } },
              },
            },
          },
        },
      }),
    ),
  probe: (summary: string): MethodDecorator =>
    applyDecorators(
      ApiOperation({ summary }),
      ApiOkResponse({ description: 'yes (an empty body); otherwise 503 or 404 with the reason' }),
    ),
  modelMetadata: (): MethodDecorator =>
    applyDecorators(
      ApiOperation({ summary: "Model metadata: versions, inputs, outputs (a version's own)" }),
      ApiOkResponse({
        description: 'model metadata',
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['name', 'platform', 'inputs', 'outputs'],
              properties: {
                name: { type: 'string' },
                versions: { type: 'array', items: { type: 'string' } },
                platform: { type: 'string' },
                inputs: { type: 'array', items: tensorMetadata },
                outputs: { type: 'array', items: tensorMetadata },
              },
            },
          },
        },
      }),
    ),
  modelConfig: (): MethodDecorator =>
    applyDecorators(
      ApiOperation({ summary: "The model's configuration (Triton's model_config, as JSON)" }),
      ApiOkResponse({
        description: 'the configuration',
        content: { 'application/json': { schema: { type: 'object' } } },
      }),
    ),
  infer: (): MethodDecorator =>
    applyDecorators(
      ApiOperation({
        summary: 'Run inference (JSON, or the binary tensor data extension)',
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: inferRequest },
            'application/octet-stream': binaryBody,
          },
        },
      }),
      ApiHeader({
        name: 'Inference-Header-Content-Length',
        required: false,
        description:
          'with binary tensor data: the length of the JSON header at the start of the body',
      }),
      ApiOkResponse({
        description: 'the outputs (binary after the JSON when the request asked for binary_data)',
        content: {
          'application/json': { schema: inferResponse },
          'application/octet-stream': binaryBody,
        },
      }),
    ),
};
