import { Controller, Get, Logger, ServiceUnavailableException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type DataSource } from 'typeorm';
import { describeDatabaseError } from '../database/database-errors';
import { errorBody } from '../errors/control-plane-error';

export interface HealthReport {
  status: 'ok';
  database: 'reachable';
}

@Controller('healthz')
export class HealthController {
  private readonly logger = new Logger(HealthController.name);
  /** The check in flight: concurrent probes share it, so a flood of them is one query at a time. */
  private check: Promise<void> | undefined;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Get()
  async report(): Promise<HealthReport> {
    try {
      await (this.check ??= this.pingDatabase().finally(() => (this.check = undefined)));
    } catch (error) {
      // The driver's text (host names, ...) is for the log; anyone may call /healthz.
      this.logger.error(`database check failed: ${describeDatabaseError(error)}`);
      throw new ServiceUnavailableException({
        status: 'unavailable',
        database: 'unreachable',
        ...errorBody('DATABASE_UNAVAILABLE', 'the registry database did not answer'),
      });
    }
    return { status: 'ok', database: 'reachable' };
  }

  private async pingDatabase(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }
}
