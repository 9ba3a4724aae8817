// An arrival schedule: when iteration k is meant to start, relative to the executor's own start.
export interface ArrivalSchedule {
  /** Number of iterations the schedule offers: indices 0 … total−1. */
  readonly total: number;
  /** Length of the schedule in ms; intended(k) ≤ durationMs for every k < total. */
  readonly durationMs: number;
  /** Intended start of iteration k in ms after the executor starts: pure, absolute, never summed. */
  intended(k: number): number;
  /** Offered rate at t ms, in iterations per second (for ticks). */
  ratePerSecondAt(tMs: number): number;
}
