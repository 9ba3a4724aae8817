// What every reference component's start function returns, and the names the CLI knows them by
// (the contract's, in start order: runner/referenceSupervisor.ts).
import { type ComponentName, PIPELINE_COMPONENTS } from '../record/contract.ts';

export const COMPONENTS = PIPELINE_COMPONENTS;
export type { ComponentName };

export interface RunningComponent {
  name: ComponentName;
  /** The address it serves on, when it serves HTTP (the port is the real one when 0 was asked). */
  url?: string;
  /** Stops taking work, finishes or abandons what is in flight, closes connections. */
  close(): Promise<void>;
}
