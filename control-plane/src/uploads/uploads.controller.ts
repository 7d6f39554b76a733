import { Readable } from 'node:stream';
import { Controller, Get, Param, Patch, Post, Req, Res } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequireRole } from '../auth';
import type { ControlPlaneConfig } from '../config/control-plane-config';
import { InjectControlPlaneConfig } from '../config/control-plane-config.module';
import { ControlPlaneFailure, shown } from '../errors/control-plane-error';
import {
  isStreamedBody,
  STREAMED_BODY_MEDIA_TYPE,
  STREAMED_BODY_ROUTE,
  streamedBodyDeadline,
} from '../http-server/streamed-body';
import { declaredBodyBytes, uploadFilename, uploadLength, uploadOffset } from './upload-headers';
import type { UploadStatus } from './upload-record';
import { UploadsService } from './uploads.service';

export const UPLOADS_PATH = '/v1/uploads';

/**
 * `/v1/uploads`: POST creates an upload (Upload-Length; the body may carry the bytes at once),
 * PATCH appends at Upload-Offset, GET (and HEAD) tell where it stands. Every answer carries
 * Upload-Offset and Upload-Length; refusals name what was wrong and, where it helps, the offset.
 */
@Controller(UPLOADS_PATH.slice(1))
// Checked before the body is read (guards run before the handler; the stream is not read yet).
@RequireRole('operator')
export class UploadsController {
  constructor(
    private readonly uploads: UploadsService,
    @InjectControlPlaneConfig() private readonly config: ControlPlaneConfig,
  ) {}

  @Post()
  @RouteConfig(STREAMED_BODY_ROUTE)
  create(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UploadStatus> {
    return this.answer(reply, async () => {
      const length = uploadLength(request.headers, this.config.uploads.maxBytes);
      const streamed = isStreamedBody(request);
      const filename = uploadFilename(request.headers, streamed ? undefined : request.body);
      const declared = declaredBodyBytes(request.headers);
      if (streamed && declared !== undefined && declared > length) {
        throw new ControlPlaneFailure(
          'PAYLOAD_TOO_LARGE',
          `the body is ${declared} bytes, more than its Upload-Length of ${length}`,
        );
      }
      const created = await this.uploads.create({ length, filename });
      void reply.code(201).header('location', `${UPLOADS_PATH}/${created.id}`);
      if (!streamed) return created;
      return this.uploads.append(created.id, {
        offset: 0,
        declaredBytes: declared,
        body: bodyStream(request),
        deadline: streamedBodyDeadline(request),
      });
    });
  }

  @Patch(':id')
  @RouteConfig(STREAMED_BODY_ROUTE)
  append(
    @Param('id') id: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UploadStatus> {
    return this.answer(reply, async () => {
      if (!isStreamedBody(request)) {
        const contentType = request.headers['content-type'];
        throw new ControlPlaneFailure(
          'UNSUPPORTED_MEDIA_TYPE',
          `PATCH takes Content-Type: ${STREAMED_BODY_MEDIA_TYPE}` +
            (contentType === undefined ? ' (none was sent)' : ` (got ${shown(contentType)})`),
        );
      }
      return this.uploads.append(id, {
        offset: uploadOffset(request.headers),
        declaredBytes: declaredBodyBytes(request.headers),
        body: bodyStream(request),
        deadline: streamedBodyDeadline(request),
      });
    });
  }

  /** Fastify answers HEAD from this route too, with the same headers and no body. */
  @Get(':id')
  status(
    @Param('id') id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UploadStatus> {
    return this.answer(reply, () => this.uploads.status(id));
  }

  private async answer(
    reply: FastifyReply,
    work: () => Promise<UploadStatus>,
  ): Promise<UploadStatus> {
    // Offsets change with every PATCH: a cached one would send a client to the wrong byte.
    void reply.header('cache-control', 'no-store');
    try {
      const status = await work();
      void reply.header('upload-offset', String(status.offset));
      void reply.header('upload-length', String(status.length));
      return status;
    } catch (error) {
      const { offset, uploadId } = error instanceof ControlPlaneFailure ? error.extensions : {};
      if (typeof offset === 'number') void reply.header('upload-offset', String(offset));
      if (typeof uploadId === 'string') {
        void reply.header('location', `${UPLOADS_PATH}/${uploadId}`);
      }
      // An unread body is not drained: streamed-body.ts closes the connection after the answer.
      throw error;
    }
  }
}

/** The body streamed-body.ts' parser handed over unread. */
function bodyStream(request: FastifyRequest): Readable {
  if (!(request.body instanceof Readable)) {
    throw new Error('a streamed upload body was expected from the content-type parser');
  }
  return request.body;
}
