import { Global, Module } from '@nestjs/common';
import { AdmissionModule } from '../admission/admission.module';
import { BatchingModule } from '../batching/batching.module';
import { CallPipeline } from './call-pipeline';
import { TensorCalls } from './tensor-calls';
import { TensorPath } from './tensor-work';

/** The call pipeline every front door runs its calls through, and the tensor work. */
@Global()
@Module({
  imports: [AdmissionModule, BatchingModule],
  providers: [CallPipeline, TensorPath, TensorCalls],
  exports: [CallPipeline, TensorPath, TensorCalls],
})
export class PipelineModule {}
