// The open-model loop of an arrival-rate executor in one worker: it follows the absolute schedule
// (never summing intervals), sleeps to the next due start, starts every iteration that is due in one
// burst when late (yielding to the event loop between bursts), and drops an iteration when no VU is free.
import { nowMs } from '../clock.ts';
import { MAX_SLEEP_MS } from '../engineDefaults.ts';
import type { ArrivalPlan } from '../executors/executorPlan.ts';
import type { ArrivalSchedule } from '../schedule/arrivalSchedule.ts';
import { constantArrival } from '../schedule/constantArrival.ts';
import { rampingArrival } from '../schedule/rampingArrival.ts';
import type { Stripe } from '../segment.ts';
import { VuPool } from '../vuPool.ts';
import type { ScenarioRun } from './scenarioRun.ts';

export function arrivalSchedule(plan: ArrivalPlan): ArrivalSchedule {
  const a = plan.arrival;
  return a.type === 'constant'
    ? constantArrival(a.rate, a.timeUnitMs, a.durationMs)
    : rampingArrival(a.startRate, a.timeUnitMs, a.stages);
}

export async function runArrival(
  run: ScenarioRun,
  plan: ArrivalPlan,
  stripe: Stripe,
  startMs: number,
  kBase: number,
  onPool: (pool: VuPool) => void,
): Promise<void> {
  const schedule = arrivalSchedule(plan);
  const pool = new VuPool(stripe.countBelow(plan.preAllocatedVUs), stripe.countBelow(plan.maxVUs), (j) =>
    stripe.at(j),
  );
  onPool(pool);
  const n = stripe.countBelow(schedule.total);
  let j = 0;
  let k = n > 0 ? stripe.at(0) : 0;
  let due = startMs + schedule.intended(k);
  while (j < n && !run.stopping) {
    const now = nowMs();
    if (due > now) {
      // Never spin: timers fire after at least 1 ms, so everything due meanwhile starts in one
      // burst on waking (a start up to ~1 ms late, shown in iteration.delay, for an idle CPU).
      await run.sleepUntil(now + Math.min(due - now, MAX_SLEEP_MS));
      continue;
    }
    // Every iteration due by now starts in this burst.
    do {
      const vu = pool.acquire();
      if (vu === undefined) run.dropped();
      else void run.iterate(vu, kBase + k, due, true, pool);
      j++;
      if (j >= n) break;
      k = stripe.at(j);
      due = startMs + schedule.intended(k);
    } while (due <= now && !run.stopping);
    // Still behind (each start costs more than the schedule's gap): let responses, the stop message
    // and the health report run before the next burst. Without this turn a loop that fell behind
    // never awaited again: nothing was sent or reported until the schedule ran out.
    if (due <= nowMs()) await yieldToLoop();
  }
  await run.finish(startMs + schedule.durationMs + plan.gracefulStopMs);
}

/** One turn of the event loop: I/O callbacks and due timers run before this resolves. */
function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
