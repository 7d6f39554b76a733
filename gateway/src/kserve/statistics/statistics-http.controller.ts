import { Controller, Get, Param, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { hasScope } from '@auth';
import { ACCESS } from '../../auth/access-policy';
import { Access } from '../../auth/http/access.decorator';
import { httpCaller } from '../../auth/http/http-caller';
import { ModelStatisticsService } from '../../model-statistics/model-statistics.service';
import { statisticsToJson, type ModelStatJson } from './statistics-json';

interface StatisticsResponseJson {
  model_stats: ModelStatJson[];
}

/**
 * Triton's statistics extension over REST: `GET v2/models[/{model}[/versions/{version}]]/stats`.
 * `models/stats` is a static path, which Fastify's router matches before the `models/:model`
 * metadata route whatever the registration order, so it is never read as a model named `stats`
 * (that model's metadata stays at `models/stats/versions/{version}`, its statistics at
 * `models/stats/stats`). Access as for model metadata: `infer:<model>`; the listing of every model
 * needs some `infer:` scope and holds only the models the caller may call.
 */
@Controller('v2/models')
export class StatisticsHttpController {
  constructor(private readonly statistics: ModelStatisticsService) {}

  @Get('stats')
  @Access(ACCESS.anyModel)
  all(@Req() request: FastifyRequest): Promise<StatisticsResponseJson> {
    return this.answer(request, '', '');
  }

  @Get(':model/stats')
  @Access(ACCESS.model)
  model(
    @Req() request: FastifyRequest,
    @Param('model') model: string,
  ): Promise<StatisticsResponseJson> {
    return this.answer(request, model, '');
  }

  @Get(':model/versions/:version/stats')
  @Access(ACCESS.model)
  version(
    @Req() request: FastifyRequest,
    @Param('model') model: string,
    @Param('version') version: string,
  ): Promise<StatisticsResponseJson> {
    return this.answer(request, model, version);
  }

  private async answer(
    request: FastifyRequest,
    model: string,
    version: string,
  ): Promise<StatisticsResponseJson> {
    const caller = httpCaller(request);
    const stats = await this.statistics.statistics({
      model,
      version,
      mayRead: (name) => hasScope(caller, `infer:${name}`),
    });
    return { model_stats: stats.map(statisticsToJson) };
  }
}
