// The seam with the clients part of the engine (engine/clients, engine/api; see the engine
// contract): the types the worker calls them through, and the loader. The types mirror
// engine/clients/engineRecorder.ts, iterationInfo.ts, createClients.ts and engine/api/context.ts.
import type { Tags } from './executors/executorPlan.ts';

export type { Tags };

export interface EngineRecorder {
  latency(metric: string, valueMs: number, tags?: Tags): void;
  count(metric: string, delta?: number, tags?: Tags): void;
}

export interface IterationInfo {
  k: number;
  correlationId: string;
  traceparent: string;
  intendedStartMs: number;
  openModel: boolean;
  signal: AbortSignal;
  markAccepted(): void;
}

export interface ClientsOptions {
  target: { gatewayUrl: string; natsUrl: string; [k: string]: unknown };
  recorder: EngineRecorder;
  httpConnectionsPerOrigin: number;
  httpTimeoutMs?: number;
  jetstreamWindow?: number;
  needsNats: boolean;
}

export interface Clients {
  forIteration(info: IterationInfo): unknown;
  close(): Promise<void>;
}

export interface ContextArgs {
  info: IterationInfo;
  clients: unknown;
  recorder: EngineRecorder;
  vu: number;
  iteration: number;
  data: unknown;
  target: unknown;
  scenarioTags: Tags;
}

export interface ClientSeam {
  createClients(o: ClientsOptions): Promise<Clients>;
  createIterationContext(args: ContextArgs): unknown;
}

/**
 * Loads createClients and createIterationContext: from `module` when given (one module exporting
 * both, e.g. the tests' stand-in), else from engine/clients and engine/api.
 */
export async function loadClientSeam(module?: string): Promise<ClientSeam> {
  if (module !== undefined) {
    const m = (await import(module)) as Partial<ClientSeam>;
    return checked(m.createClients, m.createIterationContext, module);
  }
  const clientsUrl = new URL('./clients/createClients.ts', import.meta.url).href;
  const contextUrl = new URL('./api/context.ts', import.meta.url).href;
  const clients = (await import(clientsUrl)) as Partial<ClientSeam>;
  const context = (await import(contextUrl)) as Partial<ClientSeam>;
  return checked(clients.createClients, context.createIterationContext, 'engine/clients, engine/api');
}

function checked(
  createClients: ClientSeam['createClients'] | undefined,
  createIterationContext: ClientSeam['createIterationContext'] | undefined,
  from: string,
): ClientSeam {
  if (typeof createClients !== 'function' || typeof createIterationContext !== 'function') {
    throw new Error(`${from} does not export createClients and createIterationContext`);
  }
  return { createClients, createIterationContext };
}
