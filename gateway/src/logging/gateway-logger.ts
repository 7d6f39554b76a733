import { JsonLogger, type JsonLoggerOptions } from '@logging';

export type GatewayLoggerOptions = Omit<JsonLoggerOptions, 'service'>;

/** The gateway's lines: the shared JSON logger (`@logging`) with `service: "gateway"`. */
export class GatewayLogger extends JsonLogger {
  constructor(options: GatewayLoggerOptions) {
    super({ ...options, service: 'gateway' });
  }
}
