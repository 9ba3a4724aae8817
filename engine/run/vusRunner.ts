// The closed-model loop of constant-vus and ramping-vus in one worker: each of its VUs loops over
// iterations while the VU target at that moment covers it (VU g is active while g < target).
import { nowMs } from '../clock.ts';
import type { VusPlan } from '../executors/executorPlan.ts';
import type { Stripe } from '../segment.ts';
import type { Vu } from '../vuPool.ts';
import type { ScenarioRun } from './scenarioRun.ts';

/** Poll interval of a VU that is ramped down, waiting to be needed again. */
const INACTIVE_POLL_MS = 100;
/** How often ramped-down VUs in the middle of an iteration are checked against gracefulRampDown. */
const WATCHDOG_MS = 50;

/** VU target t ms after the executor starts: linear within each stage, as k6's ramping-vus. */
export function vuTargetAt(plan: VusPlan, t: number): number {
  let from = plan.startVUs;
  let at = 0;
  for (const s of plan.stages) {
    if (t < at + s.durationMs) return Math.floor(from + ((s.target - from) * (t - at)) / s.durationMs);
    at += s.durationMs;
    from = s.target;
  }
  return from;
}

export interface ClosedIndex {
  /** Most VUs the executor has at once (the VU stride of k). */
  maxVUs: number;
  kBase: number;
  closedCount: number;
  closedIndex: number;
}

export async function runVus(
  run: ScenarioRun,
  plan: VusPlan,
  stripe: Stripe,
  startMs: number,
  index: ClosedIndex,
  onActive: (delta: number) => void,
): Promise<void> {
  const durationMs = plan.stages.reduce((sum, s) => sum + s.durationMs, 0);
  const endMs = startMs + durationMs;
  const mine = stripe.countBelow(index.maxVUs);
  const loops: Promise<void>[] = [];
  const vus: { vu: Vu; g: number; busy: boolean; downSince: number }[] = [];
  for (let j = 0; j < mine; j++) {
    const g = stripe.at(j);
    const vu: Vu = { id: g + 1, iterations: 0 };
    run.armVu(vu);
    const state = { vu, g, busy: false, downSince: Number.NaN };
    vus.push(state);
    loops.push(vuLoop(run, plan, state, startMs, endMs, index, onActive));
  }
  // One watchdog per executor (not a timer per iteration): a VU ramped down in the middle of an
  // iteration gets gracefulRampDown to finish it, then it is cut off.
  const watchdog = setInterval(() => {
    const now = nowMs();
    const target = vuTargetAt(plan, now - startMs);
    for (const s of vus) {
      if (!s.busy || s.g < target) {
        s.downSince = Number.NaN;
        continue;
      }
      if (Number.isNaN(s.downSince)) s.downSince = now;
      if (now - s.downSince >= plan.gracefulRampDownMs) run.cutVu(s.vu);
    }
  }, WATCHDOG_MS);
  await Promise.all(loops);
  clearInterval(watchdog);
  await run.finish(endMs + plan.gracefulStopMs);
}

async function vuLoop(
  run: ScenarioRun,
  plan: VusPlan,
  state: { vu: Vu; g: number; busy: boolean },
  startMs: number,
  endMs: number,
  index: ClosedIndex,
  onActive: (delta: number) => void,
): Promise<void> {
  const { vu, g } = state;
  let active = false;
  for (let now = nowMs(); now < endMs && !run.stopping; now = nowMs()) {
    if (g >= vuTargetAt(plan, now - startMs)) {
      if (active) onActive(-1);
      active = false;
      await run.sleepUntil(Math.min(endMs, now + INACTIVE_POLL_MS));
      continue;
    }
    if (!active) onActive(1);
    active = true;
    // k interleaves VUs and closed scenarios so it is unique across workers, segments and scenarios.
    const k = index.kBase + (vu.iterations * index.maxVUs + g) * index.closedCount + index.closedIndex;
    state.busy = true;
    await run.iterate(vu, k, now, false);
    state.busy = false;
  }
  if (active) onActive(-1);
}
