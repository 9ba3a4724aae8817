// Wire types between the main thread and the worker threads (structured-clone messages).
import type { ExecutorPlan, Tags } from './executors/executorPlan.ts';
import type { LoadSettings } from './scenarioOptions.ts';
import type { StripeSpec } from './segment.ts';

/** The plan of one executor as a worker runs it: where its global indices start. */
export interface WorkerScenario {
  plan: ExecutorPlan;
  /** Arrival: first global index k of this scenario. Closed: base of its interleaved k space. */
  kBase: number;
  /** Closed model: number of closed scenarios and this one's position, to interleave k. */
  closedCount: number;
  closedIndex: number;
}

export interface WorkerInit {
  bundlePath: string;
  runId: string;
  worker: number;
  workers: number;
  stripe: StripeSpec;
  scenarios: WorkerScenario[];
  target: Record<string, unknown>;
  dataset?: { items: unknown[] } | { path: string };
  load: LoadSettings;
  /** This worker's share of the largest maxVUs (HTTP connections per origin). */
  httpConnections: number;
  needsNats: boolean;
  /** Test seam: a module exporting createClients/createIterationContext (the clients branch's by default). */
  clientsModule?: string;
}

export type MainToWorker =
  | { type: 'setup' }
  | { type: 'start'; startAtMs: number; setupData?: unknown }
  | { type: 'stop' }
  | { type: 'stopNow' }
  | { type: 'teardown'; setupData?: unknown }
  | { type: 'close' };

export interface EncodedInterval {
  /** The hlog tag: metric name and sorted tags (formatHlogTag). */
  tag: string;
  metric: string;
  tags?: Tags;
  encoded: string;
}

export interface CounterDelta {
  tag: string;
  metric: string;
  tags?: Tags;
  delta: number;
}

export interface WorkerReport {
  type: 'report';
  worker: number;
  startMs: number;
  endMs: number;
  histograms: EncodedInterval[];
  counters: CounterDelta[];
  /** Global indices accepted since the last report. */
  accepted: number[];
  /** Iterations started since the last report (not dropped). */
  started: number;
  vus: number;
  loopDelayP99Ms: number;
  loopUtilization: number;
}

export type WorkerToMain =
  | { type: 'ready' }
  | { type: 'setupDone'; data?: unknown }
  | WorkerReport
  | { type: 'finished' }
  | { type: 'teardownDone' }
  | { type: 'closed' }
  | { type: 'fatal'; message: string };
