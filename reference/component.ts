// What every reference component's start function returns, and the names the CLI knows them by.
// In start order: the gateway needs the LLM stub's address, the worker the sink's (runner/referenceSupervisor.ts).
export const COMPONENTS = ['sink', 'llm', 'gateway', 'relay', 'worker'] as const;
export type ComponentName = (typeof COMPONENTS)[number];

export interface RunningComponent {
  name: ComponentName;
  /** The address it serves on, when it serves HTTP (the port is the real one when 0 was asked). */
  url?: string;
  /** Stops taking work, finishes or abandons what is in flight, closes connections. */
  close(): Promise<void>;
}
