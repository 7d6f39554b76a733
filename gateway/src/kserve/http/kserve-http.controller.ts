import { Readable } from 'node:stream';
import { ApiTags } from '@nestjs/swagger';
import { Controller, Get, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError, invalidArgument } from '../../errors/gateway-error';
import {
  INFERENCE_BACKEND,
  type InferenceBackend,
  type TensorMetadata,
} from '../../request-path/inference-backend';
import { TensorCalls } from '../../pipeline/tensor-calls';
import { notReadyMessage, ServingReadiness } from '../../health/serving-readiness';
import type { JsonObject } from '@bufbuild/protobuf';
import { modelConfigToJson } from '../model-config-json';
import { SERVER_EXTENSIONS, SERVER_NAME, SERVER_VERSION } from '../server-identity';
import { parseInferBody } from './infer-request-body';
import { ACCESS } from '../../auth/access-policy';
import { Access } from '../../auth/http/access.decorator';
import { tensorCallImages } from '../../inference/call-images';
import { httpCallContext } from '../../http-server/http-call-context';
import { httpCallBounds } from '../../admission/http-call-bounds';
import { encodeInferResponse } from './infer-response-body';
import { CONFIG_SLICE, type ConfigSlice } from '../../config/gateway-config';
import { KServeApi } from './kserve-openapi';

const HEADER_LENGTH = 'inference-header-content-length';

/** KServe v2 / Open Inference Protocol over REST, as Triton serves it. */
@ApiTags('kserve-v2')
@Controller('v2')
export class KServeHttpController {
  constructor(
    @Inject(INFERENCE_BACKEND) private readonly backend: InferenceBackend,
    private readonly readiness: ServingReadiness,
    private readonly pipeline: TensorCalls,
    @Inject(CONFIG_SLICE.maxBodyBytes) private readonly maxBodyBytes: ConfigSlice<'maxBodyBytes'>,
  ) {}

  @Get()
  @Access(ACCESS.authenticated)
  @KServeApi.serverMetadata()
  serverMetadata(): { name: string; version: string; extensions: string[] } {
    return { name: SERVER_NAME, version: SERVER_VERSION, extensions: [...SERVER_EXTENSIONS] };
  }

  @Get('health/live')
  @Access(ACCESS.public)
  @KServeApi.probe('Server live')
  @HttpCode(200)
  live(): void {}

  @Get('health/ready')
  @Access(ACCESS.public)
  @KServeApi.probe('Server ready')
  async ready(): Promise<void> {
    const { ready, backendReady, unready } = await this.readiness.freshReport();
    if (!ready) throw new GatewayError('unavailable', notReadyMessage(backendReady, unready));
  }

  @Get('models/:model')
  @Access(ACCESS.model)
  @KServeApi.modelMetadata()
  modelMetadata(@Param('model') model: string): ModelMetadataJson {
    return this.metadata(model, '');
  }

  @Get('models/:model/versions/:version')
  @Access(ACCESS.model)
  @KServeApi.modelMetadata()
  versionMetadata(
    @Param('model') model: string,
    @Param('version') version: string,
  ): ModelMetadataJson {
    return this.metadata(model, version);
  }

  @Get('models/:model/ready')
  @Access(ACCESS.model)
  @KServeApi.probe('Model ready')
  modelReady(@Param('model') model: string): Promise<void> {
    return this.checkReady(model, '');
  }

  @Get('models/:model/versions/:version/ready')
  @Access(ACCESS.model)
  @KServeApi.probe('Model version ready')
  versionReady(@Param('model') model: string, @Param('version') version: string): Promise<void> {
    return this.checkReady(model, version);
  }

  @Get('models/:model/config')
  @Access(ACCESS.model)
  @KServeApi.modelConfig()
  modelConfig(@Param('model') model: string): JsonObject {
    return modelConfigToJson(this.backend.resolve(model, '').metadata.config);
  }

  @Get('models/:model/versions/:version/config')
  @Access(ACCESS.model)
  @KServeApi.modelConfig()
  versionConfig(@Param('model') model: string, @Param('version') version: string): JsonObject {
    return modelConfigToJson(this.backend.resolve(model, version).metadata.config);
  }

  @Post('models/:model/infer')
  @Access(ACCESS.model)
  @KServeApi.infer()
  infer(
    @Param('model') model: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.runInfer(model, '', request, reply);
  }

  @Post('models/:model/versions/:version/infer')
  @Access(ACCESS.model)
  @KServeApi.infer()
  inferVersion(
    @Param('model') model: string,
    @Param('version') version: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.runInfer(model, version, request, reply);
  }

  private async runInfer(
    model: string,
    version: string,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<void> {
    const bounds = httpCallBounds(request, reply);
    if (!Buffer.isBuffer(request.body)) throw invalidArgument('the request has no body');
    // The model's signature first: the body is checked against it before any element is decoded.
    const { metadata } = this.backend.resolve(model, version);
    const header = request.headers[HEADER_LENGTH];
    const parsed = await parseInferBody(request.body, Array.isArray(header) ? header[0] : header, {
      model,
      version,
      metadata,
    });
    const inferRequest = { ...parsed.request, ...bounds };
    const response = await this.pipeline.infer(
      inferRequest,
      httpCallContext(request, tensorCallImages(inferRequest, this.backend)),
    );
    const encoded = await encodeInferResponse(response, parsed.binaryOutputs, this.maxBodyBytes);
    if (encoded.kind === 'json') {
      await reply.status(200).type('application/json').send(encoded.body);
      return;
    }
    // The tensors are written where they are (Triton's answer, or the backend's outputs), not
    // gathered into one body first: that copy was 5-7% of the gateway's CPU per forwarded call.
    await reply
      .status(200)
      .header('Inference-Header-Content-Length', encoded.headerLength)
      .header('Content-Length', encoded.length)
      .type('application/octet-stream')
      .send(Readable.from(encoded.chunks, { objectMode: false }));
  }

  private metadata(model: string, version: string): ModelMetadataJson {
    const { metadata, version: resolved } = this.backend.resolve(model, version);
    return {
      name: metadata.name,
      versions: version === '' ? metadata.versions : [resolved],
      platform: metadata.platform,
      inputs: metadata.inputs,
      outputs: metadata.outputs,
    };
  }

  /** Not ready: 503 with the load's reason when the repository has the model, else 404. */
  private async checkReady(model: string, version: string): Promise<void> {
    const failed = await this.readiness.freshFailedLoad(model);
    if (failed) {
      throw new GatewayError(
        'unavailable',
        `model '${model}' is not ready: ${failed.state}: ${failed.reason}`,
      );
    }
    this.backend.resolve(model, version);
    if (!this.backend.isModelReady(model, version)) {
      throw new GatewayError('unavailable', `model '${model}' is not ready`);
    }
  }
}

interface ModelMetadataJson {
  name: string;
  versions: string[];
  platform: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
}
