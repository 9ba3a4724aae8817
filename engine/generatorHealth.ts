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
  private seconds = 0;
  private worstDelay = 0;
  private worstUtilization = 0;
  saturated = false;
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
    const bad = loopDelayP99Ms > SATURATED_LOOP_DELAY_P99_MS || loopUtilization >= SATURATED_LOOP_UTILIZATION;
    if (!bad) {
      this.streak = 0;
      return;
    }
    this.streak++;
    this.bad++;
    this.worstDelay = Math.max(this.worstDelay, loopDelayP99Ms);
    this.worstUtilization = Math.max(this.worstUtilization, loopUtilization);
    if (!this.saturated && this.streak >= SATURATED_FOR_S)
      this.flag(
        `from ${Math.max(0, elapsedS - this.streak).toFixed(0)} s, ${this.streak} bad seconds in a row`,
      );
  }

  /**
   * At the end of the run: flags it when the bad seconds were SATURATED_SHARE of all it saw (and at
   * least SATURATED_MIN_BAD_S), scattered or not. Judged over the whole run, not as it goes, so a
   * bad start-up alone does not flag a long run that was fine afterwards.
   */
  conclude(): void {
    if (this.saturated || this.bad < SATURATED_MIN_BAD_S || this.bad < SATURATED_SHARE * this.seconds) return;
    this.flag(`in ${this.bad} of ${this.seconds} seconds (limit ${SATURATED_SHARE * 100}% of them)`);
  }

  private flag(when: string): void {
    this.saturated = true;
    this.note =
      `generator saturated ${when}: worker event-loop delay p99 up to ${this.worstDelay.toFixed(1)} ms ` +
      `(limit ${SATURATED_LOOP_DELAY_P99_MS} ms), loop busy up to ${(this.worstUtilization * 100).toFixed(0)}% ` +
      `(limit ${SATURATED_LOOP_UTILIZATION * 100}%)`;
  }
}
