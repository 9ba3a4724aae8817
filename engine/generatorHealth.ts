// The generator's own health: each worker's event-loop delay and utilisation, the process CPU, and
// the saturation verdict (thresholds and their reasons in engineDefaults.ts).
import {
  SATURATED_FOR_S,
  SATURATED_LOOP_DELAY_P99_MS,
  SATURATED_LOOP_UTILIZATION,
  SATURATED_MIN_BAD_S,
  SATURATED_SHARE,
} from './engineDefaults.ts';

export class GeneratorHealth {
  private lastCpu = process.cpuUsage();
  private lastAt = performance.now();
  private streak = 0;
  private bad = 0;
  /** The current streak's worst loop utilisation: a streak with a busy second is the generator's own. */
  private streakUtilization = 0;
  private busySeconds = 0;
  private seconds = 0;
  private worstDelay = 0;
  private worstUtilization = 0;
  saturated = false;
  /**
   * Whether the loop was busy (its own work: more workers help) for a streak or the run's share of
   * bad seconds, rather than only delayed while mostly idle (other processes held the CPU).
   */
  busy = false;
  note: string | undefined;

  /** Process CPU since the last call, as a share of one core (0..cores). */
  cpuShare(): number {
    const cpu = process.cpuUsage(this.lastCpu);
    const now = performance.now();
    const share = (cpu.user + cpu.system) / 1000 / Math.max(1, now - this.lastAt);
    this.lastCpu = process.cpuUsage();
    this.lastAt = now;
    return share;
  }

  /** One second's worst worker figures; flags saturation at once after a streak of bad seconds. */
  observe(loopDelayP99Ms: number, loopUtilization: number, elapsedS: number): void {
    this.seconds++;
    if (loopUtilization >= SATURATED_LOOP_UTILIZATION) this.busySeconds++;
    const bad = loopDelayP99Ms > SATURATED_LOOP_DELAY_P99_MS || loopUtilization >= SATURATED_LOOP_UTILIZATION;
    if (!bad) {
      this.streak = 0;
      this.streakUtilization = 0;
      return;
    }
    this.streak++;
    this.streakUtilization = Math.max(this.streakUtilization, loopUtilization);
    this.bad++;
    this.worstDelay = Math.max(this.worstDelay, loopDelayP99Ms);
    this.worstUtilization = Math.max(this.worstUtilization, loopUtilization);
    if (!this.saturated && this.streak >= SATURATED_FOR_S)
      this.flag(
        `from ${Math.max(0, elapsedS - this.streak).toFixed(0)} s, ${this.streak} bad seconds in a row`,
      );
    if (
      this.saturated &&
      !this.busy &&
      this.streak >= SATURATED_FOR_S &&
      this.streakUtilization >= SATURATED_LOOP_UTILIZATION
    )
      this.markBusy(`from ${Math.max(0, elapsedS - this.streak).toFixed(0)} s`);
  }

  /**
   * At the end of the run: flags it when the bad seconds were SATURATED_SHARE of all it saw (and at
   * least SATURATED_MIN_BAD_S), scattered or not. Judged over the whole run, not as it goes, so a
   * bad start-up alone does not flag a long run that was fine afterwards.
   */
  conclude(): void {
    const share = (n: number) => n >= SATURATED_MIN_BAD_S && n >= SATURATED_SHARE * this.seconds;
    if (!this.saturated && share(this.bad))
      this.flag(`in ${this.bad} of ${this.seconds} seconds (limit ${SATURATED_SHARE * 100}% of them)`);
    if (this.saturated && !this.busy && share(this.busySeconds))
      this.markBusy(`in ${this.busySeconds} of ${this.seconds} seconds`);
  }

  private markBusy(when: string): void {
    this.busy = true;
    this.note = `${this.note ?? 'generator saturated'}; loop busy ${when}`;
  }

  private flag(when: string): void {
    this.saturated = true;
    this.busy = this.streakUtilization >= SATURATED_LOOP_UTILIZATION;
    this.note =
      `generator saturated ${when}: worker event-loop delay p99 up to ${this.worstDelay.toFixed(1)} ms ` +
      `(limit ${SATURATED_LOOP_DELAY_P99_MS} ms), loop busy up to ${(this.worstUtilization * 100).toFixed(0)}% ` +
      `(limit ${SATURATED_LOOP_UTILIZATION * 100}%)`;
  }
}
