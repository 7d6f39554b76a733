import { Global, Module, type DynamicModule } from '@nestjs/common';
import { CONFIG_SLICE, GATEWAY_CONFIG, type GatewayConfig } from './gateway-config';

@Global()
@Module({})
export class ConfigModule {
  static forConfig(config: GatewayConfig): DynamicModule {
    const slices = (Object.keys(CONFIG_SLICE) as (keyof typeof CONFIG_SLICE)[]).map((key) => ({
      provide: CONFIG_SLICE[key],
      useValue: config[key],
    }));
    return {
      module: ConfigModule,
      providers: [{ provide: GATEWAY_CONFIG, useValue: config }, ...slices],
      exports: [GATEWAY_CONFIG, ...Object.values(CONFIG_SLICE)],
    };
  }
}
