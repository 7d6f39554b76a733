import { type DynamicModule, Global, Inject, Module } from '@nestjs/common';
import { type ControlPlaneConfig } from './control-plane-config';

export const CONTROL_PLANE_CONFIG = Symbol('ControlPlaneConfig');

/** Injects the validated ControlPlaneConfig. */
export const InjectControlPlaneConfig = (): ParameterDecorator => Inject(CONTROL_PLANE_CONFIG);

@Global()
@Module({})
export class ControlPlaneConfigModule {
  static forRoot(config: ControlPlaneConfig): DynamicModule {
    return {
      module: ControlPlaneConfigModule,
      providers: [{ provide: CONTROL_PLANE_CONFIG, useValue: config }],
      exports: [CONTROL_PLANE_CONFIG],
    };
  }
}
