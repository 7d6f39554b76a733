import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type DataSource } from 'typeorm';

export interface HealthReport {
  status: 'ok';
  database: 'reachable';
}

@Controller('healthz')
export class HealthController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Get()
  async check(): Promise<HealthReport> {
    try {
      await this.dataSource.query('SELECT 1');
    } catch (error) {
      throw new ServiceUnavailableException({
        status: 'unavailable',
        database: 'unreachable',
        message: error instanceof Error ? error.message : String(error),
      });
    }
    return { status: 'ok', database: 'reachable' };
  }
}
