import { Controller, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { httpCallBounds } from '../admission/http-call-bounds';
import { ACCESS } from '../auth/access-policy';
import { Access } from '../auth/http/access.decorator';
import { httpCallContext } from '../http-server/http-call-context';
import { CONFIG_SLICE, type ConfigSlice } from '../config/gateway-config';
import { GatewayError, invalidArgument } from '../errors/gateway-error';
import { quoted } from '../errors/quoted-value';
import { DetectImages, IMAGE_TYPES } from './detect-bodies/detect-images';
import { readJsonImages } from './detect-bodies/json-images';
import { ApiDetect } from './detect-openapi';
import { detectOptionsFromQuery } from './detect-options';
import { DetectPipeline } from './detect-pipeline';
import { detectSeveral } from './detect-several';
import type { DetectResult } from './detect-types';

/** What a multipart or JSON body answers: one result per image, in the order sent. */
export interface DetectResults {
  results: DetectResult[];
}

/**
 * The CV-native REST API: the raw image as the body, detections in original pixels back; or
 * several images, as multipart/form-data parts or base64 in JSON, a result per image back.
 */
@Controller('v1/models')
export class VisionHttpController {
  constructor(
    @Inject(CONFIG_SLICE.detectDefaults)
    private readonly detectDefaults: ConfigSlice<'detectDefaults'>,
    @Inject(CONFIG_SLICE.detectMaxImages)
    private readonly maxImages: ConfigSlice<'detectMaxImages'>,
    @Inject(CONFIG_SLICE.maxBodyBytes)
    private readonly maxBodyBytes: ConfigSlice<'maxBodyBytes'>,
    private readonly detector: DetectPipeline,
  ) {}

  @Post(':model/detect')
  @Access(ACCESS.model)
  @ApiDetect()
  @HttpCode(200)
  detect(
    @Param('model') model: string,
    @Query() query: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<DetectResult | DetectResults> {
    return this.run(model, '', query, request, reply);
  }

  @Post(':model/versions/:version/detect')
  @Access(ACCESS.model)
  @ApiDetect()
  @HttpCode(200)
  detectVersion(
    @Param('model') model: string,
    @Param('version') version: string,
    @Query() query: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<DetectResult | DetectResults> {
    return this.run(model, version, query, request, reply);
  }

  private run(
    model: string,
    version: string,
    query: unknown,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<DetectResult | DetectResults> {
    const bounds = httpCallBounds(request, reply);
    const contentType = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (request.body instanceof DetectImages || contentType === 'application/json') {
      return this.runSeveral(model, version, query, request, bounds);
    }
    if (!IMAGE_TYPES.has(contentType)) {
      throw new GatewayError(
        'unsupported_media_type',
        `content-type ${contentType ? quoted(contentType) : '(none)'} is not supported; send image/jpeg, image/png or image/webp, multipart/form-data or application/json`,
      );
    }
    if (!Buffer.isBuffer(request.body) || request.body.byteLength === 0)
      throw invalidArgument('the request body is empty');
    const options = detectOptionsFromQuery(query, this.detectDefaults);
    return this.detector.detect(
      { model, version, image: request.body, options, ...bounds },
      httpCallContext(request, 1),
    );
  }

  private async runSeveral(
    model: string,
    version: string,
    query: unknown,
    request: FastifyRequest,
    bounds: ReturnType<typeof httpCallBounds>,
  ): Promise<DetectResults> {
    const options = detectOptionsFromQuery(query, this.detectDefaults);
    const body =
      request.body instanceof DetectImages
        ? request.body
        : await readJsonImages(Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0), {
            maxImages: this.maxImages,
            maxImageBytes: this.maxBodyBytes,
          });
    const results = await detectSeveral(
      this.detector,
      body.images,
      { model, version, options, ...bounds },
      httpCallContext(request, body.images.length),
    );
    return { results };
  }
}
