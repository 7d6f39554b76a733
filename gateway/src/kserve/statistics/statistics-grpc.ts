import { create } from '@bufbuild/protobuf';
import type { handleUnaryCall } from '@grpc/grpc-js';
import { hasScope } from '@auth';
import type { MalformedMessage } from '@contracts/grpc/service-definition';
import {
  ModelStatisticsResponseSchema,
  type ModelStatisticsRequest,
  type ModelStatisticsResponse,
} from '@contracts/generated/inference/grpc_service_pb';
import { grpcCaller } from '../../auth/grpc/grpc-caller';
import { unaryHandler } from '../../grpc-server/grpc-handlers';
import type { GatewayMetrics } from '../../metrics/gateway-metrics';
import type { ModelStatisticsService } from '../../model-statistics/model-statistics.service';
import { statisticsToProto } from '../../kserve-wire/statistics-codec';

/**
 * Triton's statistics extension over gRPC (`ModelStatistics`): an empty name lists every model the
 * caller may call, an empty version every served version; access as for ModelMetadata.
 */
export function modelStatisticsHandler(
  metrics: GatewayMetrics,
  statistics: ModelStatisticsService,
): handleUnaryCall<ModelStatisticsRequest | MalformedMessage, ModelStatisticsResponse> {
  return unaryHandler(
    metrics,
    'inference.GRPCInferenceService/ModelStatistics',
    async (request: ModelStatisticsRequest, call) => {
      const caller = grpcCaller(call);
      const stats = await statistics.statistics({
        model: request.name,
        version: request.version,
        mayRead: (name) => hasScope(caller, `infer:${name}`),
      });
      return create(ModelStatisticsResponseSchema, { modelStats: stats.map(statisticsToProto) });
    },
    (request) => ({ model: request.name, version: request.version }),
  );
}
