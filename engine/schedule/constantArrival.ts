import type { ArrivalSchedule } from './arrivalSchedule.ts';

/** `rate` iterations per `timeUnitMs` for `durationMs`: iteration k starts at k·timeUnit/rate. */
export function constantArrival(rate: number, timeUnitMs: number, durationMs: number): ArrivalSchedule {
  const perMs = rate / timeUnitMs;
  // Index k runs while k/perMs < duration; the tiny epsilon keeps 200/s·20 s at exactly 4,000.
  const total = perMs > 0 ? Math.max(0, Math.ceil(perMs * durationMs - 1e-9)) : 0;
  return {
    total,
    durationMs,
    intended: (k) => (k * timeUnitMs) / rate,
    ratePerSecondAt: (t) => (t >= 0 && t < durationMs ? perMs * 1000 : 0),
  };
}
