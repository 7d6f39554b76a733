import { Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ACCESS } from '../../auth/access-policy';
import { Access } from '../../auth/http/access.decorator';
import type { RepositoryIndexEntry } from '../../request-path/model-repository-control';
import { ModelRepositoryService } from './model-repository.service';
import { RepositoryApi } from './repository-openapi';
import { checkModelName, parseControlBody, parseIndexBody } from './repository-requests';

/** Triton's index entry over REST: fields with nothing to say are left out, as Triton does. */
interface IndexEntryJson {
  name: string;
  version?: string;
  state?: string;
  reason?: string;
}

/**
 * KServe v2 / Triton model_repository extension over REST. These change what the gateway serves,
 * so each needs scope `admin`; bodies are small JSON (the server's small body limit applies).
 */
@ApiTags('kserve-v2 model repository')
@Controller('v2/repository')
export class RepositoryHttpController {
  constructor(private readonly repository: ModelRepositoryService) {}

  @Post('index')
  @Access(ACCESS.admin)
  @RepositoryApi.index()
  @HttpCode(200)
  async index(@Req() request: FastifyRequest): Promise<IndexEntryJson[]> {
    const { ready } = parseIndexBody(request.body);
    return (await this.repository.index(ready)).map(toJson);
  }

  @Post('models/:model/load')
  @Access(ACCESS.admin)
  @RepositoryApi.control('Load or reload a model from the repository')
  @HttpCode(200)
  async load(@Param('model') model: string, @Req() request: FastifyRequest): Promise<void> {
    checkModelName(model);
    parseControlBody('load', request.body);
    await this.repository.load(model);
  }

  @Post('models/:model/unload')
  @Access(ACCESS.admin)
  @RepositoryApi.control('Unload a model')
  @HttpCode(200)
  async unload(@Param('model') model: string, @Req() request: FastifyRequest): Promise<void> {
    checkModelName(model);
    parseControlBody('unload', request.body);
    await this.repository.unload(model);
  }
}

function toJson({ name, version, state, reason }: RepositoryIndexEntry): IndexEntryJson {
  return {
    name,
    ...(version ? { version } : {}),
    ...(state ? { state } : {}),
    ...(reason ? { reason } : {}),
  };
}
