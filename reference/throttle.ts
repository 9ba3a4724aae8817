// Paces the worker below its input rate (the WORKER_THROTTLE_EPS knob).
/** Strict pacing (a token bucket of one token) so N events take (N - 1) / rate seconds, no burst. */
export class Throttle {
  private next = 0;
  private readonly intervalMs: number;

  constructor(eventsPerSecond: number) {
    this.intervalMs = 1000 / eventsPerSecond;
  }

  async take(): Promise<void> {
    const now = performance.now();
    const at = Math.max(now, this.next);
    this.next = at + this.intervalMs;
    if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now));
  }
}
