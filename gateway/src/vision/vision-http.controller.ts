import { Controller, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { httpCallBounds } from '../admission/http-call-bounds';
import { ACCESS } from '../auth/access-policy';
import { Access } from '../auth/http/access.decorator';
import { httpCallContext } from '../http-server/http-call-context';
import { CONFIG_SLICE, type ConfigSlice } from '../config/gateway-config';
import { GatewayError, invalidArgument } from '../errors/gateway-error';
import { quoted } from '../errors/quoted-value';
import { detectOptionsFromQuery } from './detect-options';
import { DetectPipeline } from './detect-pipeline';
import type { DetectResult } from './detect-types';

const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp']);

/** The CV-native REST API: the raw image as the body, detections in original pixels back. */
@Controller('v1/models')
export class VisionHttpController {
  constructor(
    @Inject(CONFIG_SLICE.detectDefaults)
    private readonly detectDefaults: ConfigSlice<'detectDefaults'>,
    private readonly detector: DetectPipeline,
  ) {}

  @Post(':model/detect')
  @Access(ACCESS.model)
  @HttpCode(200)
  detect(
    @Param('model') model: string,
    @Query() query: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<DetectResult> {
    return this.run(model, '', query, request, reply);
  }

  @Post(':model/versions/:version/detect')
  @Access(ACCESS.model)
  @HttpCode(200)
  detectVersion(
    @Param('model') model: string,
    @Param('version') version: string,
    @Query() query: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<DetectResult> {
    return this.run(model, version, query, request, reply);
  }

  private run(
    model: string,
    version: string,
    query: unknown,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<DetectResult> {
    const bounds = httpCallBounds(request, reply);
    const contentType = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (!IMAGE_TYPES.has(contentType)) {
      throw new GatewayError(
        'unsupported_media_type',
        `content-type ${contentType ? quoted(contentType) : '(none)'} is not supported; send image/jpeg, image/png or image/webp`,
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
}
