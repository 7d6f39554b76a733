import { Controller, Delete, Get, Header, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ACCESS } from '../access-policy';
import { Access } from '../http/access.decorator';
import { parseNewApiKey } from './admin-requests';
import { ApiKeysApi } from './api-keys-openapi';
import { ApiKeyService, type ApiKeyView, type IssuedApiKey } from './api-key-service';

/** The admin API for API keys (scope `admin`): create, list, revoke, rotate. */
@ApiTags('admin')
@Controller('admin/api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeyService) {}

  @Post()
  @Access(ACCESS.admin)
  @ApiKeysApi.create()
  @HttpCode(201)
  // The answer carries the key: no cache may keep it.
  @Header('cache-control', 'no-store')
  create(@Req() request: FastifyRequest): Promise<IssuedApiKey> {
    return this.apiKeys.create(parseNewApiKey(request.body));
  }

  @Get()
  @Access(ACCESS.admin)
  @ApiKeysApi.list()
  async list(): Promise<{ keys: ApiKeyView[] }> {
    return { keys: await this.apiKeys.list() };
  }

  @Delete(':id')
  @Access(ACCESS.admin)
  @ApiKeysApi.revoke()
  @HttpCode(204)
  async revoke(@Param('id') id: string): Promise<void> {
    await this.apiKeys.revoke(id);
  }

  @Post(':id/rotate')
  @Access(ACCESS.admin)
  @ApiKeysApi.rotate()
  @HttpCode(201)
  @Header('cache-control', 'no-store')
  rotate(@Param('id') id: string): Promise<IssuedApiKey> {
    return this.apiKeys.rotate(id);
  }
}
