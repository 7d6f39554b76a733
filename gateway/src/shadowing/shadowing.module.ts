import { Global, Module } from '@nestjs/common';
import { AdmissionModule } from '../admission/admission.module';
import { ShadowCopies } from './shadow-copies';

/** Shadow copies of routed calls, run apart from them on their own budget. */
@Global()
@Module({ imports: [AdmissionModule], providers: [ShadowCopies], exports: [ShadowCopies] })
export class ShadowingModule {}
