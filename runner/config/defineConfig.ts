// What pipesoak.config.ts imports: a typed identity, so the editor checks the config as it is
// written; validateConfig still checks it at run time (values, cross-field rules, SLO names).
import type { ConfigInput } from './configSchema.ts';

export type { Config, ConfigInput } from './configSchema.ts';

export function defineConfig(config: ConfigInput): ConfigInput {
  return config;
}
