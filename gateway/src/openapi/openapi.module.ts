import { Module } from '@nestjs/common';
import { OpenApiController } from './openapi.controller';

/** The REST surface described: /openapi.json and the /docs page. */
@Module({ controllers: [OpenApiController] })
export class OpenApiModule {}
