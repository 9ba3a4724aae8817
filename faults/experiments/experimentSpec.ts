// What an experiment is, as data: the scenario it runs, its fault schedule and load (a short
// profile for CI, a long one for real soaks), what the harness must start for it (reference
// components, its own nats-server, proxies in front of which upstreams, environment such as
// INBOX_DEDUP=false), and the verdict the run should get. runner/run/runExperiment.ts turns it into a run.
import type { z } from 'zod';
import type { ComponentName } from '../../record/contract.ts';
import type { slosSchema } from '../../record/sloConfig.ts';
import type { FaultScheduleInput, ProxyTarget } from '../faultSchedule.ts';

export interface ExperimentLoad {
  /** Events per second (the scenario's open-model rate). */
  rate: number;
  duration: string;
  warmUp: string;
}

export interface ExperimentProfile {
  load: ExperimentLoad;
  faults: FaultScheduleInput;
  /** Component settings for this profile only, e.g. the sink's test-only answer delay at this rate. */
  env?: Readonly<Record<string, string>>;
}

/** What the run must show; the experiment's test (and `pipesoak experiment`) checks it. */
export interface ExpectedOutcome {
  verdict: 'pass' | 'fail';
  /** `0`: exactly none; `'some'`: more than none (a negative control must be caught). */
  lost: 0 | 'some';
  duplicated: 0 | 'some';
  /** Every fault window has a drain time in report.json. */
  drainReported: boolean;
  /** Names of SLO checks (report.json slos[].name) that must fail; every other one must pass. */
  failingSlos?: readonly string[];
  /** This latency's p99 inside the fault window must exceed its p99 outside by `byAtLeastMs`. */
  p99Raised?: { metric: string; byAtLeastMs: number };
}

/** A test-only copy of the sink table the completion query reads, missing a share of the facts. */
export interface SinkCopyControl {
  /** One in `dropEvery` facts never reaches the copy (chosen by correlation id, so it repeats). */
  dropEvery: number;
}

export interface ExperimentSpec {
  name: string;
  /** One line for `pipesoak experiment --list`. */
  summary: string;
  /** The promise of the pipeline it puts to the test. */
  checks: string;
  /** Relative to the repository root. */
  scenario: string;
  short: ExperimentProfile;
  long: ExperimentProfile;
  /** Reference components the run starts itself. */
  components: readonly ComponentName[];
  /** The harness's own nats-server instead of the machine's (a broker fault needs it). */
  ownBroker: boolean;
  /** Upstreams the components reach through the harness's own Toxiproxy proxies. */
  proxies: readonly ProxyTarget[];
  /** Environment for the components, e.g. INBOX_DEDUP=false for the negative control. */
  env?: Readonly<Record<string, string>>;
  /** The config `slos` the run is judged by (over the config's own), so the verdict tests the promise. */
  slos: z.input<typeof slosSchema>;
  sinkCopy?: SinkCopyControl;
  /** A negative control: it exists to be caught. */
  control: boolean;
  expect: ExpectedOutcome;
}
