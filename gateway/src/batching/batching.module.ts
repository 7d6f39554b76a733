import { Module } from '@nestjs/common';
import { BatchStage } from './batch.stage';

/** Dynamic batching in front of any backend: the batch stage and its per-model batchers. */
@Module({ providers: [BatchStage], exports: [BatchStage] })
export class BatchingModule {}
