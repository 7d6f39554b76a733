import { Global, Module } from '@nestjs/common';
import { ServedVersions } from './served-versions';

/** Per-version state for every capability on the request path. */
@Global()
@Module({ providers: [ServedVersions], exports: [ServedVersions] })
export class ServingModule {}
