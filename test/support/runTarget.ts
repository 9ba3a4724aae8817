// A validated run config for a test environment's reference pipeline started by the supervisor:
// its real ports (the settings hold 0) and the test's own database, streams and consumers.
import { referenceTarget } from '../../reference/referenceTarget.ts';
import type { Config, ConfigInput } from '../../runner/config/configSchema.ts';
import { validateConfig } from '../../runner/config/validateConfig.ts';
import type { ReferenceSupervisor } from '../../runner/referenceSupervisor.ts';
import type { TestEnv } from './testEnv.ts';

// Enough VUs that a slow gateway on a loaded machine does not drop iterations (each waits its response).
/** What runScenario takes as `config`; `patch` adds or replaces top-level sections. */
export function runConfig(
  t: TestEnv,
  supervisor: ReferenceSupervisor,
  patch: Partial<ConfigInput> = {},
): { config: Config; input: Partial<ConfigInput> } {
  const input: ConfigInput = {
    target: {
      ...referenceTarget(t.settings),
      gatewayUrl: supervisor.url('gateway') ?? '',
      workerMetricsUrl: `${supervisor.url('worker') ?? ''}/metrics`,
    },
    load: { rate: 10, duration: '10s', warmUp: '2s', vus: { preAllocated: 20, max: 2000 }, seed: 1 },
    collectors: { interval: '500ms' },
    drainTimeout: '30s',
    ...patch,
  };
  return { config: validateConfig(input), input };
}

/** A writable that keeps what runScenario says, for the assertion messages. */
export function bufferOut(): { write(text: string): boolean; text(): string } {
  const chunks: string[] = [];
  return {
    write(text: string) {
      chunks.push(text);
      return true;
    },
    text: () => chunks.join(''),
  };
}
