// What the bench and its collectors child process say to each other: the config handed over in an
// environment variable, and the IPC messages. Kept apart from the child's entry, which runs on import.
import type { CollectorsOptions } from '../../collectors/collectorSet.ts';

export const CONFIG_ENV = 'PIPESOAK_COLLECTORS_PROCESS';

export interface CollectorsProcessConfig {
  /** false: start nothing, the baseline of an idle Node process with the same modules loaded. */
  collectorsOn: boolean;
  options: CollectorsOptions;
}

/** Parent to child. */
export type CollectorsProcessCommand = { type: 'stop' };

/** Child to parent. */
export type CollectorsProcessMessage =
  | { type: 'ready' }
  | { type: 'stopped'; completed: number; samples: number; failures: number }
  | { type: 'error'; message: string };
