import { applyDecorators } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { jsonImagesSchema } from './detect-bodies/json-images';
import type { DetectResult } from './detect-types';
import type { DetectResults } from './vision-http.controller';

/** A detect answer for one image, as the controllers return it (checked against the type below). */
export const detectResultSchema = z
  .object({
    model: z.string(),
    version: z.string().describe('the version that served the call'),
    image: z
      .object({ width: z.number().int(), height: z.number().int() })
      .strict()
      .describe('the image size after EXIF orientation: the pixel space of the boxes'),
    detections: z.array(
      z
        .object({
          label: z.string(),
          classId: z.number().int(),
          score: z.number(),
          box: z.array(z.number()).length(4).describe('[x1, y1, x2, y2] in original image pixels'),
        })
        .strict(),
    ),
    timingsMs: z
      .record(z.string(), z.number())
      .describe('milliseconds by stage (decode, preprocess, infer, ...) and total'),
  })
  .strict();

export const detectResultsSchema = z
  .object({
    results: z.array(detectResultSchema).describe('one result per image, in the order sent'),
  })
  .strict();

/** Compile-time proof that the schemas say what the controller returns, neither more nor less. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const schemaMatchesResult: Same<
  z.infer<typeof detectResultSchema>,
  Omit<DetectResult, 'detections'> & {
    detections: (Omit<DetectResult['detections'][number], 'box'> & { box: number[] })[];
  }
> = true;
const resultsMatch: Same<keyof z.infer<typeof detectResultsSchema>, keyof DetectResults> = true;
void schemaMatchesResult;
void resultsMatch;

const openApi = (schema: z.ZodType): Record<string, unknown> =>
  z.toJSONSchema(schema, { target: 'openapi-3.0' });

const binaryImage = { schema: { type: 'string', format: 'binary' } };

/** The detect routes' OpenAPI: three body formats, two answer shapes, the query options. */
export function ApiDetect(): MethodDecorator {
  return applyDecorators(
    ApiTags('vision'),
    ApiOperation({
      summary: 'Detect objects in one or several images',
      description:
        'A raw image body (image/jpeg, image/png, image/webp) answers one result. ' +
        'multipart/form-data (each part an image file) and application/json ' +
        '(`{"images": [{"b64": "..."}]}`) answer `{"results": [...]}`, one per image in order, ' +
        'each image charged against the rate limits and batched like a call of its own ' +
        '(at most GATEWAY_DETECT_MAX_IMAGES per call). Errors about one image name it ' +
        "(`part 2 ('image', file 'b.png'): ...`, `images[1]: ...`).",
      requestBody: {
        required: true,
        content: {
          'image/jpeg': binaryImage,
          'image/png': binaryImage,
          'image/webp': binaryImage,
          'multipart/form-data': {
            schema: {
              type: 'object',
              description: 'one or more file parts, each an image; any field name',
              additionalProperties: { type: 'string', format: 'binary' },
            },
          },
          'application/json': { schema: openApi(jsonImagesSchema) },
        },
      },
    }),
    ApiOkResponse({
      description: 'detections per image (a raw body: one result; multipart or JSON: a list)',
      content: {
        'application/json': {
          schema: { oneOf: [openApi(detectResultSchema), openApi(detectResultsSchema)] },
        },
      },
    }),
    ApiQuery({
      name: 'scoreThreshold',
      required: false,
      schema: { type: 'number', minimum: 0, maximum: 1 },
    }),
    ApiQuery({
      name: 'iouThreshold',
      required: false,
      schema: { type: 'number', minimum: 0, maximum: 1 },
    }),
    ApiQuery({
      name: 'maxDetections',
      required: false,
      schema: { type: 'integer', minimum: 1, maximum: 1000 },
    }),
    ApiQuery({
      name: 'classes',
      required: false,
      description: 'class names, comma-separated',
      schema: { type: 'string' },
    }),
    ApiQuery({
      name: 'resize',
      required: false,
      schema: { type: 'string', enum: ['stretch', 'letterbox'] },
    }),
  );
}
