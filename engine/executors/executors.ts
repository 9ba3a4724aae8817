// The executors by k6 name.
import type { Executor } from './baseExecutor.ts';
import { constantArrivalRate } from './constantArrivalRate.ts';
import { constantVus } from './constantVus.ts';
import { rampingArrivalRate } from './rampingArrivalRate.ts';
import { rampingVus } from './rampingVus.ts';

export const EXECUTORS: ReadonlyMap<string, Executor> = new Map(
  [constantArrivalRate, rampingArrivalRate, constantVus, rampingVus].map((e) => [e.name, e]),
);
