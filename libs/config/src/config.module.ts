import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { BackchannelConfig } from './backchannel-config.js';

/** Injection token of the validated BackchannelConfig. */
export const BACKCHANNEL_CONFIG = Symbol('BACKCHANNEL_CONFIG');

@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: BackchannelConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: BACKCHANNEL_CONFIG, useValue: config }],
      exports: [BACKCHANNEL_CONFIG],
    };
  }
}
