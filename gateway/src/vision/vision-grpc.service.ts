import { create } from '@bufbuild/protobuf';
import type { Metadata } from '@grpc/grpc-js';
import { Inject, Injectable } from '@nestjs/common';
import type { ImplementationOf } from '@contracts/grpc/service-definition';
import {
  DetectResponseSchema,
  type DetectRequest,
  type VisionService,
} from '@contracts/generated/vision/v1/vision_pb';
import { CONFIG_SLICE, type ConfigSlice } from '../config/gateway-config';
import { invalidArgument } from '../errors/gateway-error';
import { unaryHandler } from '../grpc-server/grpc-handlers';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { detectOptionsFromMessage } from './detect-options';
import { grpcCallBounds, type GrpcServerCall } from '../admission/grpc-call-bounds';
import { DetectPipeline } from './detect-pipeline';
import { grpcCallContext } from '../grpc-server/grpc-call-context';
import { requiredField } from '../grpc-server/grpc-errors';

/** `vision.v1.VisionService`: the detect API over gRPC, same pipeline and options as REST. */
@Injectable()
export class VisionGrpcService {
  constructor(
    @Inject(CONFIG_SLICE.detectDefaults)
    private readonly detectDefaults: ConfigSlice<'detectDefaults'>,
    private readonly detector: DetectPipeline,
    private readonly metrics: GatewayMetrics,
  ) {}

  implementation(): ImplementationOf<typeof VisionService> {
    return {
      detect: unaryHandler(
        this.metrics,
        'vision.v1.VisionService/Detect',
        (request, call) => this.detect(request, call),
        (request) => ({ model: request.model, version: request.version }),
      ),
    };
  }

  private async detect(request: DetectRequest, call: GrpcServerCall & { metadata: Metadata }) {
    requiredField(request.model, 'model');
    if (request.image.byteLength === 0)
      throw invalidArgument("'image' is empty: send the encoded image bytes");
    const options = detectOptionsFromMessage(request.options, this.detectDefaults);
    const result = await this.detector.detect(
      {
        model: request.model,
        version: request.version,
        image: Buffer.from(
          request.image.buffer,
          request.image.byteOffset,
          request.image.byteLength,
        ),
        options,
        ...grpcCallBounds(call),
      },
      grpcCallContext(call, 1),
    );
    return create(DetectResponseSchema, {
      model: result.model,
      version: result.version,
      image: result.image,
      detections: result.detections.map((detection) => ({
        label: detection.label,
        classId: detection.classId,
        score: detection.score,
        box: {
          x1: detection.box[0],
          y1: detection.box[1],
          x2: detection.box[2],
          y2: detection.box[3],
        },
      })),
      timingsMs: result.timingsMs,
    });
  }
}
