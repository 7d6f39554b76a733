import { Module } from '@nestjs/common';
import { AdmitStage } from './admit.stage';

/** Deadlines, bounded in-flight and queue per model version, priorities: the admit stage. */
@Module({ providers: [AdmitStage], exports: [AdmitStage] })
export class AdmissionModule {}
