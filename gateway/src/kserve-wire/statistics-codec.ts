import { create } from '@bufbuild/protobuf';
import {
  InferBatchStatisticsSchema,
  InferStatisticsSchema,
  ModelStatisticsSchema,
  StatisticDurationSchema,
  type InferStatistics as InferStatisticsProto,
  type ModelStatistics,
  type StatisticDuration,
} from '@contracts/generated/inference/grpc_service_pb';
import type {
  DurationStatistic,
  InferStatistics,
  VersionStatistics,
} from '../request-path/model-statistics';

/**
 * Triton's statistics messages (`ModelStatistics`) both ways: the KServe gRPC front door answers
 * with them, the Triton backend reads Triton's. Counts and nanoseconds are uint64 on the wire;
 * past 2^53 (about 104 days of summed request time) a number loses precision, not its magnitude.
 */
export function statisticsToProto(stats: VersionStatistics): ModelStatistics {
  return create(ModelStatisticsSchema, {
    name: stats.name,
    version: stats.version,
    lastInference: BigInt(stats.lastInference),
    inferenceCount: BigInt(stats.inferenceCount),
    executionCount: BigInt(stats.executionCount),
    inferenceStats: create(InferStatisticsSchema, {
      success: duration(stats.inferenceStats.success),
      fail: duration(stats.inferenceStats.fail),
      queue: duration(stats.inferenceStats.queue),
      computeInput: duration(stats.inferenceStats.computeInput),
      computeInfer: duration(stats.inferenceStats.computeInfer),
      computeOutput: duration(stats.inferenceStats.computeOutput),
      cacheHit: duration(stats.inferenceStats.cacheHit),
      cacheMiss: duration(stats.inferenceStats.cacheMiss),
    }),
    batchStats: stats.batchStats.map((batch) =>
      create(InferBatchStatisticsSchema, {
        batchSize: BigInt(batch.batchSize),
        computeInput: duration(batch.computeInput),
        computeInfer: duration(batch.computeInfer),
        computeOutput: duration(batch.computeOutput),
      }),
    ),
  });
}

export function statisticsFromProto(message: ModelStatistics): VersionStatistics {
  const stats: InferStatisticsProto | undefined = message.inferenceStats;
  const inferenceStats: InferStatistics = {
    success: fromDuration(stats?.success),
    fail: fromDuration(stats?.fail),
    queue: fromDuration(stats?.queue),
    computeInput: fromDuration(stats?.computeInput),
    computeInfer: fromDuration(stats?.computeInfer),
    computeOutput: fromDuration(stats?.computeOutput),
    cacheHit: fromDuration(stats?.cacheHit),
    cacheMiss: fromDuration(stats?.cacheMiss),
  };
  return {
    name: message.name,
    version: message.version,
    lastInference: Number(message.lastInference),
    inferenceCount: Number(message.inferenceCount),
    executionCount: Number(message.executionCount),
    inferenceStats,
    batchStats: message.batchStats.map((batch) => ({
      batchSize: Number(batch.batchSize),
      computeInput: fromDuration(batch.computeInput),
      computeInfer: fromDuration(batch.computeInfer),
      computeOutput: fromDuration(batch.computeOutput),
    })),
  };
}

function duration({ count, ns }: DurationStatistic): StatisticDuration {
  return create(StatisticDurationSchema, {
    count: BigInt(Math.round(count)),
    ns: BigInt(Math.round(ns)),
  });
}

function fromDuration(stat: StatisticDuration | undefined): DurationStatistic {
  return { count: Number(stat?.count ?? 0n), ns: Number(stat?.ns ?? 0n) };
}
